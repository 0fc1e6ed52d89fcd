"""Inverse STFT as one transposed convolution, and the frame-rate (Vocos style) iSTFT head.

The windowed inverse real DFT basis is a fixed buffer of shape (2F, 1, n_fft); a transposed
convolution with stride ``hop`` does the inverse DFT and the overlap-add in one call. The
window envelope is built from the frame mask, so padded frames add neither signal nor
weight, and a padded batch equals its items decoded one by one. "Same" padding: T frames
give exactly ``T * hop`` samples.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ConvISTFT", "ISTFTHead"]

_MAX_LOG_MAGNITUDE = math.log(100.0)


class ConvISTFT(nn.Module):
    """Inverse STFT of complex frames, Hann window, "same" padding.

    Args:
        n_fft: FFT size. hop_length: hop. win_length: Hann window length (<= n_fft, centred).
    """

    def __init__(self, n_fft: int, hop_length: int, win_length: int | None = None) -> None:
        super().__init__()
        win_length = win_length or n_fft
        window = torch.zeros(n_fft, dtype=torch.float64)
        offset = (n_fft - win_length) // 2
        window[offset : offset + win_length] = torch.hann_window(
            win_length, periodic=True, dtype=torch.float64
        )
        bins = n_fft // 2 + 1
        k = torch.arange(bins, dtype=torch.float64)[:, None]
        n = torch.arange(n_fft, dtype=torch.float64)[None, :]
        angle = 2 * math.pi * k * n / n_fft
        weight = torch.full((bins, 1), 2.0, dtype=torch.float64)
        weight[0] = 1.0
        if n_fft % 2 == 0:
            weight[-1] = 1.0
        real = weight * torch.cos(angle) * window / n_fft
        imag = -weight * torch.sin(angle) * window / n_fft
        self.register_buffer("basis", torch.cat([real, imag]).unsqueeze(1).float(), persistent=False)
        self.register_buffer("window_sq", (window**2).view(1, 1, -1).float(), persistent=False)
        self.hop_length = hop_length
        self.n_fft = n_fft
        self.trim = (n_fft - hop_length) // 2

    def forward(self, real: Tensor, imag: Tensor, mask: Tensor) -> Tensor:
        """Args: real, imag (B, F, T) with F = n_fft // 2 + 1, mask (B, 1, T).

        Returns: Tensor of shape (B, T * hop_length), float32.
        """
        frames = real.size(-1)
        spectrum = torch.cat([real, imag], dim=1).float() * mask
        audio = F.conv_transpose1d(spectrum, self.basis, stride=self.hop_length)
        envelope = F.conv_transpose1d(mask.float(), self.window_sq, stride=self.hop_length)
        audio = audio / envelope.clamp_min(1e-6)
        return audio[:, 0, self.trim : self.trim + frames * self.hop_length]


class ISTFTHead(nn.Module):
    """Frame-rate head: a linear layer predicts log-magnitude and phase, one iSTFT makes audio."""

    def __init__(self, channels: int, n_fft: int, hop_length: int, win_length: int) -> None:
        super().__init__()
        self.bins = n_fft // 2 + 1
        self.proj = nn.Linear(channels, 2 * self.bins)
        self.istft = ConvISTFT(n_fft, hop_length, win_length)
        self.receptive_field = math.ceil(n_fft / hop_length / 2)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Args: x (B, C, T), mask (B, 1, T). Returns: Tensor of shape (B, T * hop_length)."""
        log_mag, phase = self.proj(x.transpose(1, 2)).float().transpose(1, 2).split(self.bins, dim=1)
        magnitude = log_mag.clamp(max=_MAX_LOG_MAGNITUDE).exp()
        with torch.autocast(device_type=x.device.type, enabled=False):
            return self.istft(magnitude * torch.cos(phase), magnitude * torch.sin(phase), mask)
