"""The spectral losses: the STFT loss sees the noise between a voice's harmonics."""

from __future__ import annotations

import math

import torch

from voicebot.model import ModelConfig, SpectrogramFeatures
from voicebot.training.losses import mel_loss, stft_loss

RESOLUTIONS = ((512, 50, 240), (1024, 120, 600), (2048, 240, 1200))


def _voiced(seconds: float = 0.5, rate: int = 24000, f0: float = 210.0) -> torch.Tensor:
    """A steady vowel-like tone: 40 harmonics with a falling spectral envelope, (1, 1, S)."""
    t = torch.arange(int(seconds * rate)) / rate
    tone = sum(torch.sin(2 * math.pi * k * f0 * t + k) / k for k in range(1, 41))
    return (0.2 * tone).reshape(1, 1, -1)


def test_identical_audio_has_zero_stft_loss() -> None:
    audio = _voiced()
    assert stft_loss(audio, audio, RESOLUTIONS).item() == 0.0


def test_a_faint_noise_floor_between_harmonics_weighs_more_in_the_stft_loss_than_in_the_mel_loss() -> None:
    real = _voiced()
    louder = real * 1.3  # every harmonic intact, 2.3 dB too loud
    hiss = real + 0.003 * torch.randn(real.shape, generator=torch.Generator().manual_seed(0))  # 35 dB SNR
    features = SpectrogramFeatures(ModelConfig.small())

    def mel(x: torch.Tensor) -> float:
        return mel_loss(features(x.squeeze(1))[1], features(real.squeeze(1))[1]).item()

    def stft(x: torch.Tensor) -> float:
        return stft_loss(x, real, RESOLUTIONS).item()

    # Mel bands above 1 kHz hold several harmonics and the hiss between them, so the mel loss
    # ranks the hiss as about twice the level error; the linear bins between harmonics see it.
    assert stft(hiss) / stft(louder) > 2 * mel(hiss) / mel(louder)
