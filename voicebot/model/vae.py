"""Hierarchical VAE: posterior q(z1, z2 | linear spectrogram), priors p(z1 | text), p(z2 | z1)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from voicebot.model.layers import ConvNeXtStack

__all__ = ["Gaussian", "GaussianNet", "PosteriorEncoder", "gaussian_kl"]


class Gaussian(NamedTuple):
    """A diagonal Gaussian per frame: mean and log standard deviation, each (B, Z, T)."""

    mean: Tensor
    log_std: Tensor

    @classmethod
    def from_stats(cls, stats: Tensor, mask: Tensor) -> Gaussian:
        """Split masked stats (B, 2Z, T) into mean and log std, the log std clamped for stability."""
        mean, log_std = (stats * mask).chunk(2, dim=1)
        return cls(mean, log_std.clamp(-7.0, 3.0))

    def sample(self, noise: Tensor) -> Tensor:
        """``mean + noise * std``. Args: noise (B, Z, T), already scaled. Returns: (B, Z, T)."""
        return self.mean + noise * self.log_std.exp()


def gaussian_kl(q: Gaussian, p: Gaussian, mask: Tensor) -> Tensor:
    """KL(q || p) summed over channels, averaged over valid frames.

    Args: q, p (B, Z, T) each, mask (B, 1, T). Returns: scalar tensor.
    """
    kl = (
        p.log_std
        - q.log_std
        - 0.5
        + 0.5 * ((2 * q.log_std).exp() + (q.mean - p.mean) ** 2) * (-2 * p.log_std).exp()
    )
    return (kl.float() * mask).sum() / mask.sum().clamp_min(1.0)


class GaussianNet(nn.Module):
    """ConvNeXt stack ending in a Gaussian: used for both priors and the posterior's second level."""

    def __init__(
        self,
        in_channels: int,
        channels: int,
        latent: int,
        layers: int,
        kernel_size: int,
        speaker_channels: int,
    ) -> None:
        super().__init__()
        self.net = ConvNeXtStack(
            in_channels, channels, 3 * channels, layers, kernel_size, 0.0, speaker_channels
        )
        self.out = nn.Conv1d(channels, 2 * latent, 1)
        self.receptive_field = self.net.receptive_field

    def forward(self, x: Tensor, mask: Tensor, speaker: Tensor) -> Gaussian:
        """Args: x (B, C_in, T), mask (B, 1, T), speaker (B, S). Returns: :class:`Gaussian`, (B, Z, T)."""
        return Gaussian.from_stats(self.out(self.net(x, mask, speaker)), mask)


class PosteriorEncoder(nn.Module):
    """q(z1 | spec) and q(z2 | spec, z1) from the linear magnitude spectrogram (training only)."""

    def __init__(
        self,
        n_bins: int,
        channels: int,
        latent: int,
        layers: int,
        kernel_size: int,
        speaker_channels: int,
    ) -> None:
        super().__init__()
        self.encoder = ConvNeXtStack(
            n_bins, channels, 3 * channels, layers, kernel_size, 0.0, speaker_channels
        )
        self.q1 = nn.Conv1d(channels, 2 * latent, 1)
        self.q2 = GaussianNet(channels + latent, channels, latent, 1, kernel_size, speaker_channels)

    def forward(
        self, spec: Tensor, mask: Tensor, speaker: Tensor
    ) -> tuple[Gaussian, Gaussian, Tensor, Tensor]:
        """Args: spec (B, n_bins, T) linear magnitude, mask (B, 1, T), speaker (B, S).

        Returns: q1, q2 (:class:`Gaussian`, (B, Z, T) each) and samples z1, z2 (B, Z, T).
        """
        h = self.encoder(torch.log(spec.clamp_min(1e-5)), mask, speaker)
        q1 = Gaussian.from_stats(self.q1(h), mask)
        z1 = q1.sample(torch.randn_like(q1.mean)) * mask
        q2 = self.q2(torch.cat([h, z1], dim=1), mask, speaker)
        z2 = q2.sample(torch.randn_like(z1)) * mask
        return q1, q2, z1, z2
