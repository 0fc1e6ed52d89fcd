"""Hybrid attention: frame-level states from token boundaries (training and inference)."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from voicebot.model.layers import MASK_VALUE

__all__ = ["Boundaries", "HybridAttention"]


class Boundaries(NamedTuple):
    """Per-token alignment in frames, each of shape (B, T_text), zero on padded tokens.

    ``a``: start, ``b``: end (``b_i = a_{i+1}``, the last ``b`` is the frame count), ``e``: centre.
    """

    a: Tensor
    b: Tensor
    e: Tensor


class HybridAttention(nn.Module):
    """Two heads over tokens for each frame, softmax over tokens, values from text states.

    The Gaussian head scores ``-s_g (q - e_i)^2``; the boundary head is flat (zero) inside
    ``[a_i, b_i]`` and falls linearly outside, so a frame attends to the token whose span holds it.
    Both scales are learnable and clamped. Each frame depends only on its own position, so any
    slice of frames can be computed on its own (streaming).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.values = nn.Conv1d(channels, 2 * channels, 1)
        self.out = nn.Conv1d(2 * channels, channels, 1)
        self.log_scale_gauss = nn.Parameter(torch.tensor(math.log(0.1)))
        self.log_scale_bound = nn.Parameter(torch.tensor(math.log(1.0)))

    def forward(
        self,
        text_h: Tensor,
        text_mask: Tensor,
        bounds: Boundaries,
        positions: Tensor,
        frame_mask: Tensor,
    ) -> Tensor:
        """Args: text_h (B, C, T_text), text_mask (B, 1, T_text), bounds each (B, T_text),
        positions (T_frames,) frame indices, frame_mask (B, 1, T_frames).

        Returns: Tensor of shape (B, C, T_frames), zero on padded frames.
        """
        q = positions.float()[None, :, None]  # (1, T_frames, 1)
        a, b, e = (bound.float()[:, None, :] for bound in bounds)  # (B, 1, T_text)
        scale_gauss = self.log_scale_gauss.float().exp().clamp(1e-3, 10.0)
        scale_bound = self.log_scale_bound.float().exp().clamp(1e-2, 10.0)
        centre = q + 0.5
        gauss = -scale_gauss * (q - e) ** 2
        bound = -scale_bound * (torch.relu(a - centre) + torch.relu(centre - b))
        energies = torch.stack([gauss, bound], dim=1).masked_fill(text_mask[:, None] == 0, MASK_VALUE)
        weights = torch.softmax(energies, dim=-1)  # (B, 2, T_frames, T_text)
        values = self.values(text_h).view(text_h.size(0), 2, -1, text_h.size(2))  # (B, 2, C, T_text)
        frames = torch.matmul(values, weights.transpose(2, 3).to(values.dtype))  # (B, 2, C, T_frames)
        return self.out(frames.flatten(1, 2)) * frame_mask
