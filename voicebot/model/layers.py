"""Building blocks shared by the model's parts: masks and ConvNeXt-like 1D blocks."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["MASK_VALUE", "ConvNeXtBlock", "ConvNeXtStack", "sequence_mask"]

MASK_VALUE = -1e9
"""Score of masked positions before a float32 softmax (finite, so rows never become NaN)."""


def sequence_mask(lengths: Tensor, max_length: int | None = None) -> Tensor:
    """Padding mask from lengths.

    Args:
        lengths: Tensor of shape (B,), integer lengths.
        max_length: size of the time axis (default: ``lengths.max()``).

    Returns:
        Float tensor of shape (B, 1, T): 1 on valid positions, 0 on padding.
    """
    if max_length is None:
        max_length = int(lengths.max())
    positions = torch.arange(max_length, device=lengths.device)
    return (positions[None, :] < lengths[:, None]).unsqueeze(1).float()


class ConvNeXtBlock(nn.Module):
    """ConvNeXt 1D block: depthwise conv -> LayerNorm -> pointwise up -> GELU -> pointwise down.

    Residual, with a learnable per-channel layer scale. Padded frames are zeroed before the
    depthwise conv so that they never leak into valid ones.
    """

    def __init__(self, channels: int, intermediate: int, kernel_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.dwconv = nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels)
        self.norm = nn.LayerNorm(channels, eps=1e-6)
        self.pw1 = nn.Linear(channels, intermediate)
        self.act = nn.GELU()
        self.pw2 = nn.Linear(intermediate, channels)
        self.gamma = nn.Parameter(torch.full((channels,), 1.0 / 8))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Args: x (B, C, T), mask (B, 1, T). Returns: Tensor of shape (B, C, T), zero on padding."""
        x = x * mask
        y = self.dwconv(x).transpose(1, 2)
        y = self.pw2(self.dropout(self.act(self.pw1(self.norm(y)))))
        return (x + (self.gamma * y).transpose(1, 2)) * mask


class ConvNeXtStack(nn.Module):
    """A 1x1 input projection plus an optional speaker condition, ConvNeXt blocks, a LayerNorm.

    ``receptive_field`` is how many frames on each side can change one output frame.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        intermediate: int,
        layers: int,
        kernel_size: int,
        dropout: float = 0.0,
        cond_channels: int = 0,
    ) -> None:
        super().__init__()
        self.proj = nn.Conv1d(in_channels, channels, 1)
        self.cond = nn.Linear(cond_channels, channels) if cond_channels else None
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(channels, intermediate, kernel_size, dropout) for _ in range(layers)
        )
        self.norm = nn.LayerNorm(channels, eps=1e-6)
        self.receptive_field = layers * (kernel_size // 2)

    def forward(
        self, x: Tensor, mask: Tensor, cond: Tensor | None = None, extra: Tensor | None = None
    ) -> Tensor:
        """Args: x (B, C_in, T), mask (B, 1, T), cond (B, cond_channels) when built with one,
        extra (B, channels, T): a per-frame input added to the projected one.

        Returns: Tensor of shape (B, channels, T), zero on padding.
        """
        x = self.proj(x * mask)
        if extra is not None:
            x = x + extra * mask
        if self.cond is not None and cond is not None:
            x = x + self.cond(cond).unsqueeze(-1)
        for block in self.blocks:
            x = block(x, mask)
        return self.norm(x.transpose(1, 2)).transpose(1, 2) * mask
