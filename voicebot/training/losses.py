"""GAN losses: LSGAN for both sides, feature matching, mel L1 and multi-resolution STFT (all in float32)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["discriminator_loss", "feature_matching_loss", "generator_loss", "mel_loss", "stft_loss"]


def discriminator_loss(real: list[Tensor], fake: list[Tensor]) -> Tensor:
    """LSGAN: push real logits to 1 and fake logits to 0, summed over sub-discriminators.

    Returns: scalar Tensor.
    """
    terms = [
        torch.mean((1 - r.float()) ** 2) + torch.mean(f.float() ** 2) for r, f in zip(real, fake, strict=True)
    ]
    return torch.stack(terms).sum()


def generator_loss(fake: list[Tensor]) -> Tensor:
    """LSGAN: push the discriminators' logits on generated audio to 1. Returns: scalar Tensor."""
    return torch.stack([torch.mean((1 - f.float()) ** 2) for f in fake]).sum()


def feature_matching_loss(real: list[list[Tensor]], fake: list[list[Tensor]]) -> Tensor:
    """Mean L1 between feature maps of real (no gradient) and generated audio, summed over layers.

    Returns: scalar Tensor.
    """
    terms = [
        torch.mean(torch.abs(r.detach().float() - f.float()))
        for real_maps, fake_maps in zip(real, fake, strict=True)
        for r, f in zip(real_maps, fake_maps, strict=True)
    ]
    return torch.stack(terms).sum()


def mel_loss(mel_hat: Tensor, mel: Tensor) -> Tensor:
    """L1 between log-mel spectrograms of shape (B, n_mels, T). Returns: scalar Tensor."""
    return F.l1_loss(mel_hat.float(), mel.float())


def _log_magnitude(audio: Tensor, n_fft: int, hop: int, window: int) -> Tensor:
    spec = torch.stft(
        audio,
        n_fft,
        hop,
        window,
        torch.hann_window(window, device=audio.device),
        center=True,
        return_complex=True,
    )
    return torch.log(spec.abs().clamp_min(1e-5))


def stft_loss(fake: Tensor, real: Tensor, resolutions: tuple[tuple[int, int, int], ...]) -> Tensor:
    """L1 between log linear-magnitude spectrograms, averaged over STFT resolutions.

    Unlike the mel loss, whose bands above 1 kHz are wider than the spacing of a voice's
    harmonics, linear bins resolve each harmonic, and frames at other sizes and hops than the
    decoder's own iSTFT only match when its phases are coherent from frame to frame: the loss
    supervises densely what otherwise only the discriminators teach (the harmonics above ~2 kHz).

    Args: fake, real (B, 1, S) or (B, S); resolutions: (n_fft, hop, window) triples.
    Returns: scalar Tensor.
    """
    fake, real = fake.reshape(-1, fake.shape[-1]).float(), real.reshape(-1, real.shape[-1]).float()
    with torch.autocast(device_type=fake.device.type, enabled=False):
        terms = [
            F.l1_loss(_log_magnitude(fake, *resolution), _log_magnitude(real, *resolution))
            for resolution in resolutions
        ]
    return torch.stack(terms).mean()
