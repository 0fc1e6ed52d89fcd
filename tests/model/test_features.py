"""Spectrogram features used by training."""

from __future__ import annotations

import numpy as np
import torch

from tests.model.tiny import tiny_config
from voicebot.model import SpectrogramFeatures
from voicebot.model.features import mel_filterbank


def test_frames_match_decoder_hop() -> None:
    config = tiny_config()
    spec, mel = SpectrogramFeatures(config)(torch.randn(2, 25 * config.hop_length + 10))
    assert spec.shape == (2, config.n_fft // 2 + 1, 25)
    assert mel.shape == (2, config.n_mels, 25)
    assert torch.isfinite(mel).all()


def test_sine_lands_in_the_right_bins() -> None:
    config = tiny_config()
    t = torch.arange(40 * config.hop_length) / config.sample_rate
    spec, mel = SpectrogramFeatures(config)(torch.sin(2 * torch.pi * 1000.0 * t)[None])
    bin_hz = config.sample_rate / config.n_fft
    assert abs(int(spec[0, :, 20].argmax()) * bin_hz - 1000.0) <= bin_hz
    filters = mel_filterbank(config.sample_rate, config.n_fft, config.n_mels, 0.0, config.sample_rate / 2)
    expected_band = int(filters[:, round(1000.0 / bin_hz)].argmax())
    assert int(mel[0, :, 20].argmax()) == expected_band


def test_mel_filters_are_ordered_triangles() -> None:
    filters = mel_filterbank(24000, 1024, 80, 0.0, 12000.0)
    assert filters.shape == (80, 513)
    assert (filters >= 0).all() and (filters.sum(1) > 0).all()
    peaks = filters.argmax(1)
    assert np.all(np.diff(peaks) >= 0) and peaks[-1] > peaks[0]
