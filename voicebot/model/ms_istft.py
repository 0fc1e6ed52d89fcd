"""Multi-stream iSTFT head (MS-iSTFT-VITS style) on top of the frame-rate decoder.

Transposed convolutions upsample the frame-rate states (each followed by a ConvNeXt block),
a convolution predicts magnitude and phase of ``streams`` small spectra, each stream is
inverted with a tiny iSTFT, and the streams are zero-interleaved and summed by a trainable
synthesis filter.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from voicebot.model.istft import ISTFT, polar_spectrum
from voicebot.model.layers import ConvNeXtBlock

__all__ = ["MultiStreamISTFTHead"]


class MultiStreamISTFTHead(nn.Module):
    """Frame-rate states to waveform through ``streams`` sub-band iSTFTs.

    Args:
        channels: input width. width: width after the first upsampling (halved after each).
        upsample: even transposed-conv factors; ``prod(upsample) * hop_length * streams`` must be
            the frame hop.
    """

    def __init__(
        self,
        channels: int,
        width: int,
        upsample: tuple[int, ...],
        streams: int,
        n_fft: int,
        hop_length: int,
        filter_size: int,
        kernel_size: int,
    ) -> None:
        super().__init__()
        self.upsample = upsample
        self.ups = nn.ModuleList()
        self.blocks = nn.ModuleList()
        rate = 1
        receptive_field = 0
        for index, factor in enumerate(upsample):
            out_channels = max(width >> index, 16)
            self.ups.append(nn.ConvTranspose1d(channels, out_channels, 2 * factor, factor, factor // 2))
            self.blocks.append(ConvNeXtBlock(out_channels, 3 * out_channels, kernel_size))
            channels = out_channels
            rate *= factor
            receptive_field += 1 + math.ceil((kernel_size // 2) / rate)
        self.streams = streams
        self.bins = n_fft // 2 + 1
        self.proj = nn.Conv1d(channels, streams * 2 * self.bins, 7, padding=3)
        self.istft = ISTFT(n_fft, hop_length)
        self.synthesis = nn.Conv1d(streams, 1, filter_size, padding=filter_size // 2, bias=False)
        self.receptive_field = receptive_field + 3  # proj conv, stream iSTFT, synthesis filter

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Args: x (B, C, T), mask (B, 1, T). Returns: Tensor of shape (B, T * frame hop)."""
        for up, block, factor in zip(self.ups, self.blocks, self.upsample, strict=True):
            x = up(x * mask)
            mask = mask.repeat_interleave(factor, dim=-1)
            x = block(F.gelu(x), mask)
        batch, _, steps = x.shape
        log_magnitude, phase = (
            self.proj(x).view(batch * self.streams, 2 * self.bins, steps).split(self.bins, 1)
        )
        with torch.autocast(device_type=x.device.type, enabled=False):
            stream_mask = mask.repeat_interleave(self.streams, dim=0)
            audio = self.istft(*polar_spectrum(log_magnitude, phase), stream_mask)
            # The last window's tail spills past the end; zero it, or the filter would pull it back in.
            audio = audio.view(batch, self.streams, -1) * mask.repeat_interleave(
                self.istft.hop_length, dim=-1
            )
            interleaved = F.pad(audio.unsqueeze(-1), (0, self.streams - 1)).flatten(-2) * self.streams
            return self.synthesis(interleaved)[:, 0]
