"""Spectrogram features for training: linear magnitude and log-mel, frames aligned to the decoder.

"Same" framing: a waveform of S samples gives ``S // hop_length`` frames, and the decoder
turns T frames back into ``T * hop_length`` samples. The window and the mel filterbank are
buffers built once.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from voicebot.model.config import ModelConfig

__all__ = ["SpectrogramFeatures", "mel_filterbank"]


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float) -> np.ndarray:
    """Triangular, area-normalised (Slaney) mel filters.

    Returns: array of shape (n_mels, n_fft // 2 + 1), float32.
    """
    bin_hz = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bin_hz[None, :] - lower) / (centre - lower)
    falling = (upper - bin_hz[None, :]) / (upper - centre)
    filters = np.maximum(0.0, np.minimum(rising, falling))
    filters *= 2.0 / (upper - lower)
    return filters.astype(np.float32)


class SpectrogramFeatures(nn.Module):
    """Waveform to (linear magnitude, log-mel), in float32 whatever the autocast state."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.n_fft = config.n_fft
        self.hop_length = config.hop_length
        self.win_length = config.win_length
        fmax = config.mel_fmax or config.sample_rate / 2
        filters = mel_filterbank(config.sample_rate, config.n_fft, config.n_mels, config.mel_fmin, fmax)
        self.register_buffer("mel_basis", torch.from_numpy(filters), persistent=False)
        self.register_buffer("window", torch.hann_window(config.win_length), persistent=False)

    def forward(self, waveform: Tensor) -> tuple[Tensor, Tensor]:
        """Args: waveform (B, S) float in [-1, 1], S >= hop_length.

        Returns: linear magnitude (B, n_fft // 2 + 1, S // hop) and log-mel (B, n_mels, S // hop).
        """
        with torch.autocast(device_type=waveform.device.type, enabled=False):
            pad = (self.n_fft - self.hop_length) // 2
            padded = F.pad(waveform.float().unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
            spec = torch.stft(
                padded,
                self.n_fft,
                self.hop_length,
                self.win_length,
                self.window,
                center=False,
                return_complex=True,
            )
            magnitude = spec.abs()
            mel = torch.matmul(self.mel_basis, magnitude)
            return magnitude, torch.log(mel.clamp_min(1e-5))
