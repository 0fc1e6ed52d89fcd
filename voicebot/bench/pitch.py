"""Pitch of a synthesized sentence against its recording: F0 RMSE in cents and voicing error.

The two are aligned by dynamic time warping of their log-mel frames (a voice never speaks at
exactly the recording's rate), F0 comes from the same Praat tracker as training data
(:func:`voicebot.training.pitch.extract_f0`), both at 24 kHz with a 256-sample hop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import soxr

from voicebot.bench import stft_magnitude
from voicebot.model.features import mel_filterbank
from voicebot.training.pitch import extract_f0

__all__ = ["PitchScore", "compare_pitch", "dtw_path"]

_RATE, _HOP, _FFT = 24000, 256, 1024


@dataclass(frozen=True)
class PitchScore:
    """F0 agreement of one sentence (or a mean over sentences)."""

    rmse_cents: float
    """Root mean square of 1200 * log2(f0 / f0_reference) over frames voiced in both."""
    voicing_error: float
    """Fraction of aligned frames voiced in one and not in the other."""


def _log_mel(audio: np.ndarray) -> np.ndarray:
    padded = np.pad(audio, ((_FFT - _HOP) // 2, (_FFT - _HOP) // 2 + _FFT), mode="reflect")
    spectrum = stft_magnitude(padded, _FFT, _HOP, frames=len(audio) // _HOP)
    return np.log(np.maximum(spectrum @ mel_filterbank(_RATE, _FFT, 40, 0.0, 8000.0).T, 1e-5))


def dtw_path(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    """Monotonic alignment of frame sequences a (N, D) and b (M, D) minimising Euclidean cost."""
    cost = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1))
    n, m = cost.shape
    total = np.full((n + 1, m + 1), np.inf)
    total[0, 0] = 0.0
    for i in range(1, n + 1):
        row, above, costs = total[i], total[i - 1], cost[i - 1]
        best = np.minimum(above[1:], above[:-1])
        for j in range(1, m + 1):
            row[j] = costs[j - 1] + min(best[j - 1], row[j - 1])
    path, i, j = [], n, m
    while i > 0 and j > 0:
        path.append((i - 1, j - 1))
        step = int(np.argmin((total[i - 1, j - 1], total[i - 1, j], total[i, j - 1])))
        i, j = (i - 1, j - 1) if step == 0 else (i - 1, j) if step == 1 else (i, j - 1)
    return path[::-1]


def compare_pitch(audio: np.ndarray, rate: int, reference: np.ndarray, reference_rate: int) -> PitchScore:
    """Score ``audio`` against ``reference`` (float mono arrays at their own rates)."""
    if rate != _RATE:
        audio = soxr.resample(audio, rate, _RATE)
    if reference_rate != _RATE:
        reference = soxr.resample(reference, reference_rate, _RATE)
    audio, reference = audio.astype(np.float32), reference.astype(np.float32)
    f0, f0_ref = extract_f0(audio, _RATE, _HOP), extract_f0(reference, _RATE, _HOP)
    pairs = np.array(dtw_path(_log_mel(audio)[: len(f0)], _log_mel(reference)[: len(f0_ref)]))
    ours, theirs = f0[pairs[:, 0]], f0_ref[pairs[:, 1]]
    both = (ours > 0) & (theirs > 0)
    cents = 1200 * np.log2(ours[both] / theirs[both]) if both.any() else np.zeros(1)
    return PitchScore(math.sqrt(float(np.mean(cents**2))), float(np.mean((ours > 0) != (theirs > 0))))
