"""The frame-level part of inference: the region meant for ``torch.compile``.

Everything with data-dependent sizes (durations, frame counts, noise) is computed before,
in a small eager step; this module only sees tensors and has no Python branches on values.
"""

from __future__ import annotations

from torch import Tensor, nn

from voicebot.model.attention import Boundaries, HybridAttention
from voicebot.model.config import ModelConfig
from voicebot.model.decoder import Decoder
from voicebot.model.vae import GaussianNet

__all__ = ["FrameSynthesizer"]


def _frame_mask(positions: Tensor, frame_lengths: Tensor, like: Tensor) -> Tensor:
    """(B, 1, T) mask of the frames at ``positions`` that lie inside each item."""
    return (positions[None, :] < frame_lengths[:, None]).unsqueeze(1).to(like.dtype)


class FrameSynthesizer(nn.Module):
    """Hybrid attention -> prior p(z1 | text) -> prior p(z2 | z1), then the decoder.

    Two stages, each compiled on its own: :meth:`latents` (cheap, small receptive field) and
    :meth:`decode` (most of the compute). Streaming computes the latents of a span once and
    decodes chunks with only the decoder's context, instead of redoing the priors per chunk.
    ``latent_receptive_field`` and ``decoder_receptive_field`` are how many frames on each side
    can change one output frame of each stage.
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
        self.latent_receptive_field = self.prior1.receptive_field + self.prior2.receptive_field
        self.decoder_receptive_field = self.decoder.receptive_field

    def latents(
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
        """Sample the decoder's latent z2 for a span of frames.

        Args:
            text_h: (B, C, T_text) text states. text_mask: (B, 1, T_text).
            a, b, e: (B, T_text) token start, end and centre in frames.
            positions: (T,) frame indices of the span. frame_lengths: (B,) frames of each item.
            noise1, noise2: (B, Z, T) prior noise, already scaled by the noise scale.
            speaker: (B, S) speaker embeddings.

        Returns: Tensor of shape (B, Z, T), zero after each item's end.
        """
        frame_mask = _frame_mask(positions, frame_lengths, noise1)
        aligned = self.attention(text_h, text_mask, Boundaries(a, b, e), positions, frame_mask)
        z1 = self.prior1(aligned, frame_mask, speaker).sample(noise1) * frame_mask
        return self.prior2(z1, frame_mask, speaker).sample(noise2) * frame_mask

    def decode(self, z2: Tensor, positions: Tensor, frame_lengths: Tensor, speaker: Tensor) -> Tensor:
        """Audio of a span. Args: z2 (B, Z, T), positions (T,), frame_lengths (B,), speaker (B, S).

        Returns: Tensor of shape (B, T * hop_length).
        """
        return self.decoder(z2, _frame_mask(positions, frame_lengths, z2), speaker)
