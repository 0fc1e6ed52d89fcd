"""The frame-level part of inference: the region meant for ``torch.compile``.

Everything with data-dependent sizes (durations, frame counts, noise) is computed before,
in a small eager step; this module only sees tensors and has no Python branches on values.
"""

from __future__ import annotations

from torch import Tensor, nn

from voicebot.model.aligner import Boundaries
from voicebot.model.attention import HybridAttention
from voicebot.model.config import ModelConfig
from voicebot.model.decoder import Decoder
from voicebot.model.vae import GaussianNet

__all__ = ["FrameSynthesizer"]


class FrameSynthesizer(nn.Module):
    """Hybrid attention -> prior p(z1 | text) -> prior p(z2 | z1) -> decoder.

    ``receptive_field`` is how many frames on each side can change the audio of one frame:
    streaming decodes chunks with at least that much context.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        hidden, latent = config.hidden_channels, config.latent_channels
        self.attention = HybridAttention(hidden)
        self.prior1 = GaussianNet(
            hidden, hidden, latent, config.prior_layers, config.kernel_size, config.speaker_channels
        )
        self.prior2 = GaussianNet(
            latent, hidden, latent, config.prior2_layers, config.kernel_size, config.speaker_channels
        )
        self.decoder = Decoder(config)
        self.receptive_field = (
            self.prior1.receptive_field + self.prior2.receptive_field + self.decoder.receptive_field
        )

    def forward(
        self,
        text_h: Tensor,
        text_mask: Tensor,
        a: Tensor,
        b: Tensor,
        e: Tensor,
        positions: Tensor,
        frame_lengths: Tensor,
        noise1: Tensor,
        noise2: Tensor,
        speaker: Tensor,
    ) -> Tensor:
        """Decode a span of frames.

        Args:
            text_h: (B, C, T_text) text states. text_mask: (B, 1, T_text).
            a, b, e: (B, T_text) token start, end and centre in frames.
            positions: (T,) frame indices of the span. frame_lengths: (B,) frames of each item.
            noise1, noise2: (B, Z, T) prior noise, already scaled by the noise scale.
            speaker: (B, S) speaker embeddings.

        Returns: Tensor of shape (B, T * hop_length).
        """
        frame_mask = (positions[None, :] < frame_lengths[:, None]).unsqueeze(1).to(noise1.dtype)
        aligned = self.attention(text_h, text_mask, Boundaries(a, b, e), positions, frame_mask)
        z1 = self.prior1(aligned, frame_mask, speaker).sample(noise1) * frame_mask
        z2 = self.prior2(z1, frame_mask, speaker).sample(noise2) * frame_mask
        return self.decoder(z2, frame_mask, speaker)
