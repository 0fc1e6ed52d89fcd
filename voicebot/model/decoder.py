"""Waveform decoder: frame-rate ConvNeXt blocks on the latent, then an iSTFT head."""

from __future__ import annotations

from torch import Tensor, nn

from voicebot.model.config import ModelConfig
from voicebot.model.errors import ModelInputError
from voicebot.model.istft import ISTFTHead
from voicebot.model.layers import ConvNeXtStack
from voicebot.model.ms_istft import MultiStreamISTFTHead

__all__ = ["Decoder"]


class Decoder(nn.Module):
    """Latent z2 (B, Z, T) to audio (B, T * hop_length); ``config.head`` picks the head.

    With ``config.source == "harmonic"`` the decoder also takes the frame pitch (normalized
    log-F0 and voicing, projected and added at the ConvNeXt input) and the harmonic source's
    spectrum, which the head filters (see :class:`~voicebot.model.istft.ISTFTHead`). Both new
    parts start at zero effect on the backbone, so an older voice's weights fit unchanged.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        harmonic = config.source == "harmonic"
        self.pitch_proj: nn.Conv1d | None = None
        if harmonic:
            self.pitch_proj = nn.Conv1d(2, config.decoder_channels, 1)
            nn.init.zeros_(self.pitch_proj.weight)
            nn.init.zeros_(self.pitch_proj.bias)
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
            self.head = ISTFTHead(
                config.decoder_channels, config.n_fft, config.hop_length, config.win_length, harmonic
            )
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

    def forward(
        self,
        z: Tensor,
        mask: Tensor,
        speaker: Tensor,
        pitch: Tensor | None = None,
        spectrum: Tensor | None = None,
    ) -> Tensor:
        """Args: z (B, Z, T), mask (B, 1, T), speaker (B, S); for the harmonic source also pitch
        (B, 2, T) (normalized log-F0, voicing) and spectrum (B, n_fft // 2 + 1, T) complex.

        Returns: Tensor of shape (B, T * hop).
        """
        if self.pitch_proj is None:
            return self.head(self.backbone(z, mask, speaker), mask)
        if pitch is None or spectrum is None:
            raise ModelInputError("this decoder has a harmonic source: pass pitch and spectrum")
        x = self.backbone(z, mask, speaker, self.pitch_proj(pitch))
        return self.head(x, mask, spectrum)
