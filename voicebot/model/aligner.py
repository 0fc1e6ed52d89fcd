"""EfficientTTS 2 differentiable aligner (training only): token boundaries from the mel.

Frames attend to tokens; the expected token index of each frame, made monotonic and
rescaled, gives the index mapping vector ``pi``. Token centres ``e`` and start boundaries
``a`` are soft arg-positions of ``pi`` near ``i`` and ``i - 0.5``; ``b_i = a_{i+1}``.
Position arithmetic stays in float32 (elementwise sums, no matmuls) so that autocast never
rounds frame indices.

Plain dot-product attention between mel frames and tokens does not find the diagonal on its
own: trained only through the losses downstream it stays spread over every token, and every
phoneme gets the same length. Two additions from "One TTS Alignment to Rule Them All"
(Badlani et al., 2021) make it converge: a beta-binomial prior on the attention that favours
the diagonal from the first step, and the forward-sum loss (CTC with the tokens as the label
sequence) that rewards attention explaining every frame by the tokens in order. Both work on
the soft attention, so there is still no monotonic alignment search.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from voicebot.model.attention import Boundaries
from voicebot.model.layers import MASK_VALUE, ConvNeXtStack

__all__ = ["Alignment", "DifferentiableAligner", "beta_binomial_log_prior", "forward_sum_loss"]

_BLANK_LOG_PROB = -1.0


class Alignment(NamedTuple):
    """What the aligner finds for a batch."""

    bounds: Boundaries
    """Token boundaries in frames, each (B, T_text)."""
    attention: Tensor
    """(B, T_frames, T_text) soft attention of each frame over the tokens (rows sum to 1)."""
    forward_sum: Tensor
    """Scalar forward-sum (CTC) loss of the attention."""


def _lengths(mask: Tensor) -> Tensor:
    """Valid lengths (B,) of a (B, 1, T) mask."""
    return mask.sum(dim=(1, 2)).long()


def _log_beta(x: Tensor, y: Tensor) -> Tensor:
    return torch.lgamma(x) + torch.lgamma(y) - torch.lgamma(x + y)


def beta_binomial_log_prior(
    text_lengths: Tensor, frame_lengths: Tensor, tokens: int, frames: int, scaling: float = 1.0
) -> Tensor:
    """Log of a beta-binomial prior that places frame ``m`` of ``M`` near token ``m / M * N``.

    For frame m (1-based) of an item with N tokens and M frames, token k is drawn from
    BetaBinomial(N - 1, scaling * m, scaling * (M - m + 1)).

    Args: text_lengths (B,), frame_lengths (B,), tokens and frames: padded sizes.
    Returns: Tensor of shape (B, frames, tokens), float32, zero outside each item's valid area.
    """
    device = text_lengths.device
    n = (text_lengths.float() - 1.0)[:, None, None]
    total = frame_lengths.float()[:, None, None]
    k = torch.arange(tokens, device=device, dtype=torch.float32)[None, None, :]
    m = torch.arange(1, frames + 1, device=device, dtype=torch.float32)[None, :, None]
    valid = (k <= n) & (m <= total)
    a = scaling * m
    b = (scaling * (total - m + 1.0)).clamp_min(1e-3)
    rest = (n - k).clamp_min(0.0)
    log_choose = torch.lgamma(n + 1.0) - torch.lgamma(k + 1.0) - torch.lgamma(rest + 1.0)
    log_prior = log_choose + _log_beta(k + a, rest + b) - _log_beta(a, b)
    return torch.where(valid, log_prior, torch.zeros_like(log_prior))


def forward_sum_loss(log_attention: Tensor, text_lengths: Tensor, frame_lengths: Tensor) -> Tensor:
    """CTC loss of explaining the frames by the tokens in order, from log attention.

    Args: log_attention (B, T_frames, T_text) log-probabilities over tokens (padded tokens at
        ``MASK_VALUE``), text_lengths (B,), frame_lengths (B,).
    Returns: scalar Tensor, float32: mean over the batch of the per-token negative log-likelihood.
    """
    with_blank = F.pad(log_attention.float(), (1, 0), value=_BLANK_LOG_PROB)
    log_probs = F.log_softmax(with_blank, dim=-1).transpose(0, 1)  # (T_frames, B, 1 + T_text)
    targets = torch.arange(1, log_attention.size(2) + 1, device=log_attention.device)
    targets = targets[None].expand(log_attention.size(0), -1)
    return F.ctc_loss(
        log_probs, targets, frame_lengths, text_lengths, blank=0, reduction="mean", zero_infinity=True
    )


class DifferentiableAligner(nn.Module):
    """Mel frames (queries) attend to text states (keys) and yield token boundaries."""

    def __init__(self, n_mels: int, channels: int, layers: int, kernel_size: int, sigma: float) -> None:
        super().__init__()
        self.query_encoder = ConvNeXtStack(n_mels, channels, 3 * channels, layers, kernel_size)
        self.query_proj = nn.Linear(channels, channels)
        self.key_proj = nn.Linear(channels, channels)
        self.sigma = sigma

    def log_attention(self, text_h: Tensor, text_mask: Tensor, mel: Tensor, frame_mask: Tensor) -> Tensor:
        """Log of the prior-weighted attention of every frame over the tokens (unnormalized).

        Args: text_h (B, C, T_text), text_mask (B, 1, T_text), mel (B, n_mels, T_frames),
            frame_mask (B, 1, T_frames).
        Returns: Tensor of shape (B, T_frames, T_text), float32; padded tokens at ``MASK_VALUE``.
        """
        channels = text_h.size(1)
        queries = self.query_proj(self.query_encoder(mel, frame_mask).transpose(1, 2))
        keys = self.key_proj(text_h.transpose(1, 2))
        scores = torch.bmm(queries, keys.transpose(1, 2)).float() / channels**0.5
        scores = scores.masked_fill(text_mask == 0, MASK_VALUE)
        prior = beta_binomial_log_prior(
            _lengths(text_mask), _lengths(frame_mask), scores.size(2), scores.size(1)
        )
        return (F.log_softmax(scores, dim=-1) + prior).masked_fill(text_mask == 0, MASK_VALUE)

    def index_mapping(self, alpha: Tensor, text_mask: Tensor, frame_mask: Tensor) -> Tensor:
        """Monotonic expected token index of every frame.

        Args: alpha (B, T_frames, T_text) attention (rows sum to 1), text_mask (B, 1, T_text),
            frame_mask (B, 1, T_frames).
        Returns: Tensor of shape (B, T_frames), from 0 to ``text_length - 1``, float32.
        """
        token_index = torch.arange(alpha.size(2), device=alpha.device, dtype=torch.float32)
        pi = (alpha * token_index).sum(-1)
        steps = torch.relu(pi[:, 1:] - pi[:, :-1]) * frame_mask[:, 0, 1:].float()
        cumulative = torch.nn.functional.pad(torch.cumsum(steps, dim=1), (1, 0))
        total = cumulative[:, -1:].clamp_min(1e-4)
        last_token = text_mask.sum(dim=(1, 2)).float()[:, None] - 1.0
        return cumulative / total * last_token

    def forward(self, text_h: Tensor, text_mask: Tensor, mel: Tensor, frame_mask: Tensor) -> Alignment:
        """Args: text_h (B, C, T_text), text_mask (B, 1, T_text), mel (B, n_mels, T_frames),
        frame_mask (B, 1, T_frames). Returns: :class:`Alignment`."""
        log_alpha = self.log_attention(text_h, text_mask, mel, frame_mask)
        forward_sum = forward_sum_loss(log_alpha, _lengths(text_mask), _lengths(frame_mask))
        alpha = torch.softmax(log_alpha, dim=-1)
        pi = self.index_mapping(alpha, text_mask, frame_mask)
        frames = torch.arange(pi.size(1), device=pi.device, dtype=torch.float32)
        tokens = torch.arange(text_h.size(2), device=pi.device, dtype=torch.float32)
        valid_frames = frame_mask.float()  # (B, 1, T_frames)

        def soft_position(targets: Tensor) -> Tensor:
            energy = -self.sigma * (pi[:, None, :] - targets[None, :, None]) ** 2
            weights = torch.softmax(energy.masked_fill(valid_frames == 0, MASK_VALUE), dim=-1)
            return (weights * frames).sum(-1)

        token_mask = text_mask[:, 0].float()
        e = soft_position(tokens) * token_mask
        a = soft_position(tokens - 0.5)
        a = torch.cat([torch.zeros_like(a[:, :1]), a[:, 1:]], dim=1) * token_mask
        n_frames = valid_frames.sum(dim=(1, 2))[:, None]
        next_a = torch.cat([a[:, 1:], torch.zeros_like(a[:, :1])], dim=1)
        is_last = tokens[None, :] == (token_mask.sum(1, keepdim=True) - 1.0)
        b = torch.where(is_last, n_frames, next_a) * token_mask
        return Alignment(Boundaries(a, b, e), alpha, forward_sum)
