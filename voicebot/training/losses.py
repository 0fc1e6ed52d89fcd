"""GAN losses: LSGAN for both sides, feature matching, mel L1 (all computed in float32)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["discriminator_loss", "feature_matching_loss", "generator_loss", "mel_loss"]


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
