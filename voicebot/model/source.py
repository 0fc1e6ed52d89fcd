"""The harmonic source: a band-limited pulse train driven by F0, and its spectrum for the decoder.

A decoder that ends in an iSTFT has to invent each frame's phase; handed the spectrum of a
signal whose harmonics already advance coherently from frame to frame, it only has to shape
it (Wavehax, arXiv 2411.06807; HiFTNet, arXiv 2309.09493; NSF). The source here holds every
harmonic of F0 up to a band limit (Nyquist by default), not the first eight: at 150 Hz eight
harmonics stop near 1.3 kHz.

It is built in closed form, never as a (B, harmonics, samples) tensor:

- **Phase by accumulation.** Within frame k the frequency ramps linearly from ``f0[k]`` to
  ``f0[k + 1]`` over the hop (frame k starts at sample ``k * hop``, the pitch tracker's frame
  time), so the phase inside a frame is a quadratic in the sample index and the phase at each
  frame start is one cumulative sum over frames (:func:`frame_phases`, float64, wrapped to
  cycles in [0, 1)). Streaming passes those start phases along, so a chunk carries the phase
  of the audio before it and chunks join exactly.
- **All harmonics at once.** ``sum_{h=1..K} cos(h * phi)`` is the Dirichlet kernel
  ``sin((K + 1/2) phi) / (2 sin(phi / 2)) - 1/2`` with ``K = floor(limit / f0)`` per sample.
  The top harmonic is faded by the fractional part of ``limit / f0``, so a harmonic enters and
  leaves at zero amplitude as F0 moves (no clicks) and nothing lies above the limit (no
  aliasing).
- Unit-RMS pulses scaled by ``HARMONIC_AMPLITUDE`` where voiced, plus Gaussian noise (weak
  where voiced, ``HARMONIC_AMPLITUDE / 3`` where unvoiced), as in NSF.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "HARMONIC_AMPLITUDE",
    "MIN_F0",
    "frame_advance",
    "frame_phases",
    "harmonic_source",
    "position_noise",
    "source_margin",
    "source_spectrum",
]

HARMONIC_AMPLITUDE = 0.1
"""RMS of the voiced pulse train (speech is prepared at about -20 dBFS, RMS 0.1)."""
VOICED_NOISE = 0.003
MIN_F0 = 20.0
"""F0 is clamped to at least this many Hz (a zero or negative F0 would stall the phase)."""


def frame_advance(f0: Tensor, hop_length: int, sample_rate: int) -> Tensor:
    """Cycles the phase advances over each frame.

    Args: f0 (B, T + 1) in Hz: frame k ramps from ``f0[:, k]`` to ``f0[:, k + 1]``.
    Returns: Tensor of shape (B, T), the dtype of ``f0``.
    """
    f0 = f0.clamp_min(MIN_F0)
    return (hop_length * f0[:, :-1] + (f0[:, 1:] - f0[:, :-1]) * ((hop_length - 1) / 2)) / sample_rate


def frame_phases(f0: Tensor, hop_length: int, sample_rate: int, start: Tensor | None = None) -> Tensor:
    """Phase at the start of every frame, in cycles wrapped to [0, 1).

    One cumulative sum, in float64: cycles add up over a long sentence and float32 would lose
    the fraction that matters.

    Args:
        f0: (B, T + 1) Hz, as :func:`frame_advance`. start: (B,) phase of frame 0 (default 0).
    Returns: Tensor of shape (B, T + 1), float64: entry k is the phase where frame k begins.
    """
    advance = frame_advance(f0.double(), hop_length, sample_rate)
    phases = F.pad(torch.cumsum(advance, dim=1), (1, 0))
    if start is not None:
        phases = phases + start.double()[:, None]
    return torch.frac(phases)


def harmonic_source(
    f0: Tensor,
    voiced: Tensor,
    phases: Tensor,
    noise: Tensor,
    hop_length: int,
    sample_rate: int,
    max_hz: float | None = None,
) -> Tensor:
    """The source waveform of T frames.

    Args:
        f0: (B, T + 1) Hz; frame k ramps to ``f0[:, k + 1]`` (pass the next frame's F0 last).
        voiced: (B, T + 1) voicing in [0, 1], interpolated the same way.
        phases: (B, T) phase in cycles at each frame start (:func:`frame_phases`).
        noise: (B, T * hop_length) standard Gaussian noise.
        max_hz: band limit (default: Nyquist).

    Returns: Tensor of shape (B, T * hop_length), float32.
    """
    limit = sample_rate / 2 if max_hz is None else min(max_hz, sample_rate / 2)
    batch = phases.size(0)
    f0, voiced = f0.float().clamp_min(MIN_F0), voiced.float()
    steps = torch.arange(hop_length, device=f0.device, dtype=torch.float32)
    slope = (f0[:, 1:] - f0[:, :-1])[..., None] / hop_length
    inside = (f0[:, :-1, None] * steps + slope * (steps * (steps - 1) / 2)) / sample_rate
    cycles = torch.frac(phases.float()[..., None] + inside)  # (B, T, hop)
    freq = f0[:, :-1, None] + slope * steps
    ratio = limit / freq
    count = torch.floor(ratio)
    fade = ratio - count  # weight of the top harmonic: 0 as it reaches the limit
    phi = 2 * math.pi * (cycles - torch.round(cycles))  # in [-pi, pi]
    half = torch.sin(phi / 2)
    safe = torch.where(half.abs() < 1e-4, torch.ones_like(half), half)
    dirichlet = torch.where(half.abs() < 1e-4, count, torch.sin((count + 0.5) * phi) / (2 * safe) - 0.5)
    pulses = dirichlet - (1 - fade) * torch.cos(count * phi)
    power = ((count - 1 + fade**2) / 2).clamp_min(0.5)
    vsteps = voiced[:, :-1, None] + (voiced[:, 1:] - voiced[:, :-1])[..., None] * (steps / hop_length)
    harmonic = vsteps * HARMONIC_AMPLITUDE * pulses * torch.rsqrt(power)
    sigma = vsteps * VOICED_NOISE + (1 - vsteps) * (HARMONIC_AMPLITUDE / 3)
    return harmonic.reshape(batch, -1) + sigma.reshape(batch, -1) * noise.float()


def position_noise(positions: Tensor) -> Tensor:
    """White noise of unit variance that depends only on each sample's position (an integer hash).

    The same sample always gets the same value, so a sentence decoded in chunks, whole, or
    padded in a batch hears the same noise, with no random state to carry along.

    Args: positions: int64 Tensor of any shape. Returns: float32 Tensor of the same shape.
    """
    x = (positions * 0x9E3779B1 + 0x7F4A7C15) & 0xFFFFFFFF
    x = ((x ^ (x >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
    x = ((x ^ (x >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
    x = x ^ (x >> 16)
    return (x.to(torch.float32) / 4294967296.0 - 0.5) * math.sqrt(12.0)


def source_margin(n_fft: int, hop_length: int) -> int:
    """Frames of source needed on each side of a span to compute its spectrum frames."""
    return math.ceil(((n_fft - hop_length) // 2) / hop_length)


def source_spectrum(source: Tensor, n_fft: int, hop_length: int, window: Tensor, margin: int) -> Tensor:
    """STFT frames of a span, framed as the decoder's iSTFT (frame k centred at ``k * hop + hop / 2``).

    Args:
        source: (B, (T + 2 * margin) * hop_length), the source from ``margin`` frames before the
            span to ``margin`` frames after it.
        window: (n_fft,) analysis window (the head's Hann window).
    Returns: complex Tensor of shape (B, n_fft // 2 + 1, T).
    """
    offset = margin * hop_length - (n_fft - hop_length) // 2
    frames = source.size(-1) // hop_length - 2 * margin
    span = source[:, offset : offset + (frames - 1) * hop_length + n_fft]
    return torch.stft(
        span.float(), n_fft, hop_length, n_fft, window.float(), center=False, return_complex=True
    )
