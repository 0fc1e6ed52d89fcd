"""Waveform decoder: frame-rate ConvNeXt blocks on the latent, then an iSTFT head."""

from __future__ import annotations

from torch import Tensor, nn

from voicebot.model.config import ModelConfig
from voicebot.model.istft import ISTFTHead
from voicebot.model.layers import ConvNeXtStack
from voicebot.model.ms_istft import MultiStreamISTFTHead

__all__ = ["Decoder"]


class Decoder(nn.Module):
    """Latent z2 (B, Z, T) to audio (B, T * hop_length); ``config.head`` picks the head."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.backbone = ConvNeXtStack(
            config.latent_channels,
            config.decoder_channels,
            config.decoder_intermediate,
            config.decoder_layers,
            config.kernel_size,
            0.0,
            config.speaker_channels,
        )
        self.head: ISTFTHead | MultiStreamISTFTHead
        if config.head == "istft":
            self.head = ISTFTHead(config.decoder_channels, config.n_fft, config.hop_length, config.win_length)
        else:
            self.head = MultiStreamISTFTHead(
                config.decoder_channels,
                config.ms_channels,
                config.ms_upsample,
                config.ms_streams,
                config.ms_n_fft,
                config.ms_hop,
                config.ms_filter_size,
                config.kernel_size,
            )
        self.receptive_field = self.backbone.receptive_field + self.head.receptive_field

    def forward(self, z: Tensor, mask: Tensor, speaker: Tensor) -> Tensor:
        """Args: z (B, Z, T), mask (B, 1, T), speaker (B, S). Returns: Tensor of shape (B, T * hop)."""
        return self.head(self.backbone(z, mask, speaker), mask)
