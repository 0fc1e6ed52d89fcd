"""Text encoder: symbol embedding, local ConvNeXt context, then Transformer layers."""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from voicebot.model.layers import ConvNeXtBlock

__all__ = ["TextEncoder"]


class _AttentionLayer(nn.Module):
    """Pre-LayerNorm Transformer layer whose feed-forward is a depthwise-conv ConvNeXt block."""

    def __init__(self, channels: int, heads: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm = nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = nn.Linear(channels, channels)
        self.dropout = dropout
        self.ffn = ConvNeXtBlock(channels, 4 * channels, kernel_size, dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Args: x (B, C, T), mask (B, 1, T). Returns: Tensor of shape (B, C, T)."""
        batch, channels, length = x.shape
        qkv = self.qkv(self.norm(x.transpose(1, 2)))
        q, k, v = qkv.view(batch, length, 3, self.heads, channels // self.heads).permute(2, 0, 3, 1, 4)
        key_mask = mask.bool().unsqueeze(1)  # (B, 1, 1, T): padded keys are never attended
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=key_mask, dropout_p=self.dropout if self.training else 0.0
        )
        y = self.out(y.transpose(1, 2).reshape(batch, length, channels)).transpose(1, 2)
        return self.ffn((x + y) * mask, mask)


class TextEncoder(nn.Module):
    """Phoneme ids to text hidden states.

    Args:
        n_symbols: size of the symbol table (id 0 is padding).
        channels: hidden width.
    """

    def __init__(
        self,
        n_symbols: int,
        channels: int,
        conv_layers: int,
        attention_layers: int,
        heads: int,
        kernel_size: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(n_symbols, channels, padding_idx=0)
        nn.init.normal_(self.embedding.weight, 0.0, channels**-0.5)
        self.scale = math.sqrt(channels)
        self.convs = nn.ModuleList(
            ConvNeXtBlock(channels, 3 * channels, kernel_size, dropout) for _ in range(conv_layers)
        )
        self.layers = nn.ModuleList(
            _AttentionLayer(channels, heads, kernel_size, dropout) for _ in range(attention_layers)
        )
        self.norm = nn.LayerNorm(channels)

    def forward(self, ids: Tensor, mask: Tensor) -> Tensor:
        """Args: ids (B, T) int, mask (B, 1, T). Returns: Tensor of shape (B, channels, T)."""
        x = self.embedding(ids).transpose(1, 2) * self.scale
        for conv in self.convs:
            x = conv(x, mask)
        for layer in self.layers:
            x = layer(x, mask)
        return self.norm(x.transpose(1, 2)).transpose(1, 2) * mask
