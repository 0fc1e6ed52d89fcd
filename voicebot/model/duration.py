"""Variational alignment predictor: token durations and centres from text states.

It learns ``y = log(1 + [e - a, b - a])`` per token with a small VAE (posterior on ``y``,
standard normal prior), trained on detached text states so that it never pulls on the
encoder. At inference ``z ~ N(0, tau^2)`` and the boundaries follow by cumulative sum.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from voicebot.model.attention import Boundaries
from voicebot.model.layers import ConvNeXtStack

__all__ = ["AlignmentPredictor", "PredictorLosses", "alignment_targets", "boundaries_from_log_durations"]

# Initial output: a centre 2.5 frames in and a 5.5-frame (60 ms) token, typical of Japanese phonemes,
# so an untrained model already speaks at a realistic length (benchmarks use random weights).
_INIT_LOG_DURATIONS = (math.log1p(2.5), math.log1p(5.5))


class PredictorLosses(NamedTuple):
    """Scalar losses of the alignment predictor."""

    mse: Tensor
    kl: Tensor


def alignment_targets(bounds: Boundaries) -> Tensor:
    """Targets of the predictor. Returns: Tensor of shape (B, 2, T_text): log(1 + [e - a, b - a])."""
    offsets = torch.stack([bounds.e - bounds.a, bounds.b - bounds.a], dim=1)
    return torch.log1p(offsets.clamp_min(0.0))


def boundaries_from_log_durations(
    log_durations: Tensor, text_mask: Tensor, length_scale: float
) -> Boundaries:
    """Turn predicted ``log(1 + [e - a, b - a])`` into boundaries by cumulative sum.

    Args: log_durations (B, 2, T_text), text_mask (B, 1, T_text), length_scale (> 1 is slower).
    Returns: :class:`Boundaries`, each (B, T_text) in frames, float32.
    """
    offsets = torch.expm1(log_durations.float()).clamp_min(0.0) * text_mask.float() * length_scale
    durations = offsets[:, 1]
    centres = torch.minimum(offsets[:, 0], durations)
    b = torch.cumsum(durations, dim=1)
    a = b - durations
    return Boundaries(a, b, a + centres)


class AlignmentPredictor(nn.Module):
    """Predicts ``log(1 + [e - a, b - a])`` per token (see module docstring)."""

    def __init__(
        self,
        channels: int,
        latent: int,
        layers: int,
        kernel_size: int,
        dropout: float,
        speaker_channels: int,
    ) -> None:
        super().__init__()
        self.latent = latent
        self.posterior = ConvNeXtStack(channels + 2, channels, 2 * channels, 2, kernel_size, dropout)
        self.posterior_out = nn.Conv1d(channels, 2 * latent, 1)
        self.decoder = ConvNeXtStack(
            channels + latent, channels, 2 * channels, layers, kernel_size, dropout, speaker_channels
        )
        self.decoder_out = nn.Conv1d(channels, 2, 1)
        nn.init.normal_(self.decoder_out.weight, 0.0, 0.01)
        with torch.no_grad():
            self.decoder_out.bias.copy_(torch.tensor(_INIT_LOG_DURATIONS))

    def _decode(self, text_h: Tensor, z: Tensor, mask: Tensor, speaker: Tensor) -> Tensor:
        return self.decoder_out(self.decoder(torch.cat([text_h, z], dim=1), mask, speaker)) * mask

    def forward(self, text_h: Tensor, mask: Tensor, speaker: Tensor, targets: Tensor) -> PredictorLosses:
        """Training losses.

        Args: text_h (B, C, T_text) (detach it first), mask (B, 1, T_text), speaker (B, S),
            targets (B, 2, T_text) from :func:`alignment_targets`.
        Returns: :class:`PredictorLosses`: masked MSE of the prediction, KL per token.
        """
        stats = self.posterior_out(self.posterior(torch.cat([text_h, targets], dim=1), mask)) * mask
        mean, log_std = stats.split(self.latent, dim=1)
        z = (mean + torch.randn_like(mean) * log_std.exp()) * mask
        prediction = self._decode(text_h, z, mask, speaker)
        n_tokens = mask.sum().clamp_min(1.0)
        mse = ((prediction - targets) ** 2 * mask).sum() / (2 * n_tokens)
        kl = (0.5 * (mean**2 + (2 * log_std).exp() - 1.0) - log_std) * mask
        return PredictorLosses(mse, kl.sum() / n_tokens)

    def sample(self, text_h: Tensor, mask: Tensor, speaker: Tensor, noise: Tensor) -> Tensor:
        """Inference. Args: noise (B, latent, T_text), already scaled by tau.

        Returns: Tensor of shape (B, 2, T_text): predicted ``log(1 + [e - a, b - a])``.
        """
        return self._decode(text_h, noise * mask, mask, speaker)
