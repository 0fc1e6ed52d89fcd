"""Benchmarks behind ``voicebot bench``: one module per target (frontend, model, engine, voice, e2e)."""

from __future__ import annotations

import numpy as np

__all__ = ["percentile", "stft_magnitude"]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0 to 1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def stft_magnitude(padded: np.ndarray, fft: int, hop: int, frames: int | None = None) -> np.ndarray:
    """Magnitude spectra (frames, fft // 2 + 1) of Hann-windowed frames of ``fft`` samples every
    ``hop`` samples of ``padded`` (each caller pads as its measure defines), the first ``frames``
    of them (default: every whole frame)."""
    windows = np.lib.stride_tricks.sliding_window_view(padded, fft)[::hop][:frames]
    return np.abs(np.fft.rfft(windows * np.hanning(fft), axis=1))
