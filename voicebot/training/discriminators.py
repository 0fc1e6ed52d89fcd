"""Multi-period and multi-resolution (STFT) discriminators for adversarial training.

Each sub-discriminator maps audio (B, 1, S) to logits (B, N) plus its intermediate feature
maps, which the feature-matching loss compares between real and generated audio.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

__all__ = ["Discriminator", "DiscriminatorOutput", "PeriodDiscriminator", "ResolutionDiscriminator"]

DiscriminatorOutput = tuple[list[Tensor], list[list[Tensor]]]
"""(logits per sub-discriminator, each (B, N); feature maps per sub-discriminator)."""

_SLOPE = 0.1


def _width(channels: int, width: float) -> int:
    return max(4, round(channels * width))


def _conv_stack(convs: nn.ModuleList, out: nn.Module, x: Tensor) -> tuple[Tensor, list[Tensor]]:
    """Leaky-ReLU conv stack then the output conv: (logits (B, N), every layer's feature map)."""
    features = []
    for conv in convs:
        x = F.leaky_relu(conv(x), _SLOPE)
        features.append(x)
    x = out(x)
    features.append(x)
    return x.flatten(1), features


class PeriodDiscriminator(nn.Module):
    """Looks at every ``period``-th sample: audio folded to (B, 1, S / period, period)."""

    def __init__(self, period: int, width: float = 1.0) -> None:
        super().__init__()
        self.period = period
        sizes = [1] + [_width(c, width) for c in (32, 128, 512, 1024, 1024)]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(sizes[i], sizes[i + 1], (5, 1), (3 if i < 4 else 1, 1), padding=(2, 0)))
            for i in range(5)
        )
        self.out = weight_norm(nn.Conv2d(sizes[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, audio: Tensor) -> tuple[Tensor, list[Tensor]]:
        """audio (B, 1, S) -> (logits (B, N), feature maps)."""
        batch, channels, length = audio.shape
        pad = (-length) % self.period
        x = F.pad(audio, (0, pad), mode="reflect" if pad < length else "constant")
        x = x.view(batch, channels, -1, self.period)
        return _conv_stack(self.convs, self.out, x)


class ResolutionDiscriminator(nn.Module):
    """Looks at one STFT resolution: log magnitude (B, 1, F, T) through strided 2-D convs."""

    def __init__(self, n_fft: int, hop: int, window: int, width: float = 1.0) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(window), persistent=False)
        ch = _width(32, width)
        self.convs = nn.ModuleList(
            [
                weight_norm(nn.Conv2d(1, ch, (3, 9), padding=(1, 4))),
                *(weight_norm(nn.Conv2d(ch, ch, (3, 9), (1, 2), padding=(1, 4))) for _ in range(3)),
                weight_norm(nn.Conv2d(ch, ch, (3, 3), padding=(1, 1))),
            ]
        )
        self.out = weight_norm(nn.Conv2d(ch, 1, (3, 3), padding=(1, 1)))

    def forward(self, audio: Tensor) -> tuple[Tensor, list[Tensor]]:
        """audio (B, 1, S) -> (logits (B, N), feature maps)."""
        spec = torch.stft(
            audio.squeeze(1).float(),
            self.n_fft,
            self.hop,
            self.window.shape[0],
            self.window,
            center=True,
            return_complex=True,
        )
        x = torch.log(spec.abs().clamp_min(1e-5)).unsqueeze(1).to(audio.dtype)
        return _conv_stack(self.convs, self.out, x)


class Discriminator(nn.Module):
    """All sub-discriminators: one per period, one per STFT resolution."""

    def __init__(
        self,
        periods: tuple[int, ...] = (2, 3, 5, 7, 11),
        resolutions: tuple[tuple[int, int, int], ...] = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240)),
        width: float = 1.0,
    ) -> None:
        super().__init__()
        self.subs = nn.ModuleList(
            [PeriodDiscriminator(p, width) for p in periods]
            + [ResolutionDiscriminator(*r, width=width) for r in resolutions]
        )

    def forward(self, audio: Tensor) -> DiscriminatorOutput:
        """audio (B, 1, S) -> (logits per sub-discriminator, feature maps per sub-discriminator)."""
        logits, features = [], []
        for sub in self.subs:
            score, maps = sub(audio)
            logits.append(score)
            features.append(maps)
        return logits, features
