"""GAN losses: LSGAN for both sides, feature matching, mel L1, multi-resolution STFT and phase (float32)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "discriminator_loss",
    "feature_matching_loss",
    "generator_loss",
    "mel_loss",
    "phase_loss",
    "stft_loss",
]


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


def _anti_wrap(x: Tensor) -> Tensor:
    """Distance of a phase difference to the nearest multiple of 2 pi (0 to pi)."""
    return torch.abs(x - 2 * math.pi * torch.round(x / (2 * math.pi)))


def _weighted_mean(values: Tensor, weight: Tensor) -> Tensor:
    return (values * weight).sum() / weight.sum().clamp_min(1e-8)


def phase_loss(fake: Tensor, real: Tensor, n_fft: int, hop: int, window: int) -> Tensor:
    """Anti-wrapped L1 of the phase's time and frequency derivatives, magnitude weighted.

    The instantaneous frequency (phase advance from frame to frame) and the group delay (phase
    change from bin to bin) are what make a harmonic a clean tone instead of a noisy band; the
    mel and STFT magnitude losses leave them to the discriminators. Derivatives, not the phase
    itself: the absolute phase cannot be inferred from the magnitude spectrogram the decoder's
    latents come from (APNet, Ai and Ling 2023, uses all three, unweighted).

    A pair of bins counts by the smaller of the magnitudes of both signals at both bins: bins
    that are near-silent in the recording have a random phase, and the phase of a bin that is
    near-silent in the generated audio has no useful gradient (it grows as 1 / magnitude).

    Args: fake, real (B, 1, S) or (B, S); the STFT's n_fft, hop and window (the decoder's own).
    Returns: scalar Tensor, the mean of the two terms (each 0 to pi).
    """
    fake, real = fake.reshape(-1, fake.shape[-1]).float(), real.reshape(-1, real.shape[-1]).float()
    with torch.autocast(device_type=fake.device.type, enabled=False):
        hann = torch.hann_window(window, device=fake.device)
        spec_fake, spec_real = (
            torch.stft(x, n_fft, hop, window, hann, center=True, return_complex=True) for x in (fake, real)
        )
        weight = torch.minimum(spec_real.abs(), spec_fake.abs().detach())
        # The tiny offset keeps the angle's gradient finite where the generated audio is exactly 0.
        phase_fake, phase_real = torch.angle(spec_fake + 1e-7), torch.angle(spec_real)
        time = _anti_wrap(phase_fake.diff(dim=2) - phase_real.diff(dim=2))
        freq = _anti_wrap(phase_fake.diff(dim=1) - phase_real.diff(dim=1))
        terms = [
            _weighted_mean(time, torch.minimum(weight[:, :, 1:], weight[:, :, :-1])),
            _weighted_mean(freq, torch.minimum(weight[:, 1:], weight[:, :-1])),
        ]
    return torch.stack(terms).mean()
