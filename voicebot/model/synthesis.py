"""The frame-level part of inference: the region meant for ``torch.compile``.

Everything with data-dependent sizes (durations, frame counts, noise) is computed before,
in a small eager step; this module only sees tensors and has no Python branches on values.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from voicebot.model.attention import Boundaries, HybridAttention
from voicebot.model.config import ModelConfig
from voicebot.model.decoder import Decoder
from voicebot.model.source import harmonic_source, position_noise, source_margin, source_spectrum
from voicebot.model.vae import GaussianNet

__all__ = ["Excitation", "FrameSynthesizer"]


def _frame_mask(positions: Tensor, frame_lengths: Tensor, like: Tensor) -> Tensor:
    """(B, 1, T) mask of the frames at ``positions`` that lie inside each item."""
    return (positions[None, :] < frame_lengths[:, None]).unsqueeze(1).to(like.dtype)


class Excitation(NamedTuple):
    """What a harmonic-source decoder needs besides the latent, for a span of T frames.

    ``margin`` (:func:`~voicebot.model.source.source_margin`) extra frames on each side let the
    source's STFT frames see the same samples however the sentence is cut into chunks.

    Attributes:
        log_f0: (B, T + 2 * margin + 1) log Hz, from ``margin`` frames before the span (one more
            at the end: the last frame ramps towards it).
        voiced: (B, T + 2 * margin + 1) voicing in [0, 1].
        phases: (B, T + 2 * margin) phase in cycles where each frame starts, float32.
        first_sample: (B,) int64 position of the first source sample (seeds its noise).
        stats: (B, 2) the speaker's log-F0 mean and standard deviation.
    """

    log_f0: Tensor
    voiced: Tensor
    phases: Tensor
    first_sample: Tensor
    stats: Tensor


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
        self.hop_length, self.sample_rate, self.n_fft = config.hop_length, config.sample_rate, config.n_fft
        self.source_margin = source_margin(config.n_fft, config.hop_length)

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

    def decode(
        self,
        z2: Tensor,
        positions: Tensor,
        frame_lengths: Tensor,
        speaker: Tensor,
        excitation: Excitation | None = None,
    ) -> Tensor:
        """Audio of a span. Args: z2 (B, Z, T), positions (T,), frame_lengths (B,), speaker (B, S),
        and for a harmonic-source model the span's :class:`Excitation`.

        Returns: Tensor of shape (B, T * hop_length).
        """
        mask = _frame_mask(positions, frame_lengths, z2)
        if excitation is None:
            return self.decoder(z2, mask, speaker)
        return self.decoder(z2, mask, speaker, *self.excite(excitation))

    def excite(self, excitation: Excitation) -> tuple[Tensor, Tensor]:
        """The decoder's pitch input (B, 2, T) and the source spectrum (B, n_fft // 2 + 1, T) of a span."""
        margin = self.source_margin
        log_f0, voiced, phases, first_sample, stats = excitation
        frames = phases.size(-1) - 2 * margin
        samples = first_sample[:, None] + torch.arange(
            (frames + 2 * margin) * self.hop_length, device=phases.device
        )
        source = harmonic_source(
            log_f0.exp(), voiced, phases, position_noise(samples), self.hop_length, self.sample_rate
        )
        inner = slice(margin, margin + frames)
        normalized = (log_f0[:, inner] - stats[:, :1]) / stats[:, 1:]
        pitch = torch.stack([normalized, voiced[:, inner]], dim=1).to(stats.dtype)
        # The head's own synthesis window: the source is analysed exactly as the head resynthesizes.
        window = self.decoder.head.istft.window[:, 0]
        spectrum = source_spectrum(source, self.n_fft, self.hop_length, window, margin)
        return pitch, spectrum
