"""Frame-level pitch: the predictor on the prior side, its loss, and the user's pitch controls.

The predictor sees the aligned text states (what the prior p(z1 | text) sees) and the speaker,
and predicts per frame a normalized log-F0 ``(log f0 - mean) / std`` with the speaker's
statistics from the training data, and a voicing logit. Normalized targets weigh a low and a
high voice alike; the statistics travel with the voice file and turn the prediction back into
Hz. Japanese is a pitch-accent language: this contour is what listeners hear first.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from voicebot.model.errors import ModelInputError
from voicebot.model.layers import ConvNeXtStack

__all__ = [
    "MAX_INTONATION",
    "MAX_PITCH_SEMITONES",
    "MIN_INTONATION",
    "PitchControl",
    "PitchPredictor",
    "PitchTrack",
    "pitch_loss",
    "voicing",
]

MAX_PITCH_SEMITONES = 12.0
MIN_INTONATION, MAX_INTONATION = 0.0, 2.0


class PitchTrack(NamedTuple):
    """Pitch per frame: ``log_f0`` (B, T) natural log of Hz, continuous through unvoiced frames,
    and ``voiced`` (B, T) in [0, 1]."""

    log_f0: Tensor
    voiced: Tensor


class PitchControl(NamedTuple):
    """How a user changes the predicted contour.

    ``semitones`` shifts it (12 is an octave up); ``intonation`` scales it around the speaker's
    mean log-F0 (0 flat, 1 as trained, 2 twice as lively).
    """

    semitones: float = 0.0
    intonation: float = 1.0

    def check(self) -> PitchControl:
        """This control, or :class:`ModelInputError` naming the allowed range (never a silent clamp)."""
        if not (math.isfinite(self.semitones) and abs(self.semitones) <= MAX_PITCH_SEMITONES):
            raise ModelInputError(
                f"pitch must be between -{MAX_PITCH_SEMITONES:g} and +{MAX_PITCH_SEMITONES:g} semitones "
                f"(got {self.semitones:g})"
            )
        if not (math.isfinite(self.intonation) and MIN_INTONATION <= self.intonation <= MAX_INTONATION):
            raise ModelInputError(
                f"intonation must be between {MIN_INTONATION:g} (flat) and {MAX_INTONATION:g} "
                f"(1 is as trained; got {self.intonation:g})"
            )
        return self

    def apply(self, normalized: Tensor, stats: Tensor) -> Tensor:
        """Log-F0 (B, T) from the predictor's normalized log-F0 (B, T) and speaker stats (B, 2)."""
        mean, std = stats[:, :1], stats[:, 1:]
        return mean + std * self.intonation * normalized + self.semitones * (math.log(2.0) / 12.0)


class PitchPredictor(nn.Module):
    """Aligned text states (B, C, T) and a speaker to (B, 2, T): normalized log-F0 and a voicing logit."""

    def __init__(
        self, channels: int, layers: int, kernel_size: int, dropout: float, speaker_channels: int
    ) -> None:
        super().__init__()
        self.net = ConvNeXtStack(
            channels, channels, 2 * channels, layers, kernel_size, dropout, speaker_channels
        )
        self.out = nn.Conv1d(channels, 2, 1)
        self.receptive_field = self.net.receptive_field

    def forward(self, aligned: Tensor, mask: Tensor, speaker: Tensor) -> Tensor:
        """Args: aligned (B, C, T), mask (B, 1, T), speaker (B, S). Returns: Tensor of shape (B, 2, T)."""
        return self.out(self.net(aligned, mask, speaker)) * mask


def pitch_loss(prediction: Tensor, target: PitchTrack, stats: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
    """L1 of the normalized log-F0 (every frame: the target is continuous) and voicing BCE.

    Args: prediction (B, 2, T), target (each (B, T)), stats (B, 2) speaker mean and std of
        log-F0, mask (B, 1, T). Returns: (log-F0 loss, voicing loss), scalars.
    """
    mask = mask[:, 0].float()
    frames = mask.sum().clamp_min(1.0)
    normalized = (target.log_f0 - stats[:, :1]) / stats[:, 1:]
    f0_loss = ((prediction[:, 0].float() - normalized).abs() * mask).sum() / frames
    bce = F.binary_cross_entropy_with_logits(
        prediction[:, 1].float(), target.voiced.float(), reduction="none"
    )
    return f0_loss, (bce * mask).sum() / frames


def voicing(logits: Tensor) -> Tensor:
    """Predicted voicing (B, T): 1 where the logit is positive, else 0 (the targets are binary)."""
    return (logits > 0).to(torch.float32)
