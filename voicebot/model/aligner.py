"""EfficientTTS 2 differentiable aligner (training only): token boundaries from the mel.

Frames attend to tokens; the expected token index of each frame, made monotonic and
rescaled, gives the index mapping vector ``pi``. Token centres ``e`` and start boundaries
``a`` are soft arg-positions of ``pi`` near ``i`` and ``i - 0.5``; ``b_i = a_{i+1}``.
Position arithmetic stays in float32 (elementwise sums, no matmuls) so that autocast never
rounds frame indices.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from voicebot.model.attention import Boundaries
from voicebot.model.layers import MASK_VALUE, ConvNeXtStack

__all__ = ["DifferentiableAligner"]


def _sinusoid(length: int, channels: int, device: torch.device) -> Tensor:
    """Sinusoidal position encoding. Returns: Tensor of shape (length, channels)."""
    positions = torch.arange(length, device=device, dtype=torch.float32)[:, None]
    freqs = torch.exp(
        torch.arange(0, channels, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / channels)
    )
    table = torch.zeros(length, channels, device=device)
    table[:, 0::2] = torch.sin(positions * freqs)
    table[:, 1::2] = torch.cos(positions * freqs[: channels // 2])
    return table


class DifferentiableAligner(nn.Module):
    """Mel frames (queries) attend to text states (keys) and yield token boundaries."""

    def __init__(self, n_mels: int, channels: int, layers: int, kernel_size: int, sigma: float) -> None:
        super().__init__()
        self.query_encoder = ConvNeXtStack(n_mels, channels, 3 * channels, layers, kernel_size)
        self.query_proj = nn.Linear(channels, channels)
        self.key_proj = nn.Linear(channels, channels)
        self.sigma = sigma

    def attention(self, text_h: Tensor, text_mask: Tensor, mel: Tensor, frame_mask: Tensor) -> Tensor:
        """Soft attention of every frame over the tokens.

        Args: text_h (B, C, T_text), text_mask (B, 1, T_text), mel (B, n_mels, T_frames),
            frame_mask (B, 1, T_frames).
        Returns: Tensor of shape (B, T_frames, T_text), float32, each row summing to 1.
        """
        channels = text_h.size(1)
        queries = self.query_encoder(mel, frame_mask).transpose(1, 2)
        queries = self.query_proj(queries + _sinusoid(queries.size(1), channels, mel.device))
        keys = self.key_proj(text_h.transpose(1, 2) + _sinusoid(text_h.size(2), channels, mel.device))
        scores = torch.bmm(queries, keys.transpose(1, 2)).float() / math.sqrt(channels)
        scores = scores.masked_fill(text_mask == 0, MASK_VALUE)
        return torch.softmax(scores, dim=-1)

    def index_mapping(self, alpha: Tensor, text_mask: Tensor, frame_mask: Tensor) -> Tensor:
        """Monotonic expected token index of every frame.

        Args: alpha (B, T_frames, T_text) from :meth:`attention`, text_mask (B, 1, T_text),
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

    def forward(
        self, text_h: Tensor, text_mask: Tensor, mel: Tensor, frame_mask: Tensor
    ) -> tuple[Boundaries, Tensor]:
        """Args: text_h (B, C, T_text), text_mask (B, 1, T_text), mel (B, n_mels, T_frames),
        frame_mask (B, 1, T_frames). Returns: :class:`Boundaries`, each (B, T_text), and the
        attention of :meth:`attention`, (B, T_frames, T_text)."""
        alpha = self.attention(text_h, text_mask, mel, frame_mask)
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
        return Boundaries(a, b, e), alpha
