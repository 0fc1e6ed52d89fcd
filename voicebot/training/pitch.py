"""Pitch for training: F0 per model frame from the prepared audio, stored beside each WAV.

Praat's autocorrelation tracker (``praat-parselmouth``: maintained, no weights to download)
runs on the prepared 16-bit WAV and its track is resampled onto the model's frames (frame k
starts at sample ``k * hop``, as the harmonic source reads it). A file holds one float32 per
frame, F0 in Hz with 0 where unvoiced, as ``.npy`` (read without pickle). Training derives a
continuous log-F0 from it (:func:`continuous_log_f0`) and normalizes with per-speaker
statistics (:func:`speaker_statistics`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from voicebot.training.errors import DataError

__all__ = [
    "PITCH_CEILING",
    "PITCH_FLOOR",
    "continuous_log_f0",
    "extract_f0",
    "pitch_path",
    "read_f0",
    "speaker_statistics",
    "write_f0",
]

PITCH_FLOOR = 60.0
PITCH_CEILING = 800.0


def pitch_path(audio: str) -> str:
    """Where the pitch of the prepared WAV ``wavs/SPEAKER/ID.wav`` lives: ``pitch/SPEAKER/ID.npy``."""
    parts = Path(audio).with_suffix(".npy").parts
    return str(Path("pitch", *parts[1:]))


def extract_f0(samples: np.ndarray, sample_rate: int, hop_length: int) -> np.ndarray:
    """F0 in Hz per frame (0 where unvoiced), ``len(samples) // hop_length`` frames.

    Raises :class:`DataError` when Praat cannot analyse the audio (too short for its window).
    """
    import parselmouth  # only data prepare needs Praat; training reads the stored tracks

    frames = len(samples) // hop_length
    try:
        track = parselmouth.Sound(samples.astype(np.float64), sample_rate).to_pitch_ac(
            time_step=hop_length / sample_rate, pitch_floor=PITCH_FLOOR, pitch_ceiling=PITCH_CEILING
        )
    except parselmouth.PraatError as exc:
        raise DataError(f"pitch extraction failed: {str(exc).splitlines()[0]}") from None
    times = np.asarray(track.xs())
    f0 = np.asarray(track.selected_array["frequency"], dtype=np.float64)
    grid = np.arange(frames) * hop_length / sample_rate
    if len(times) == 0 or frames == 0:
        return np.zeros(frames, dtype=np.float32)
    step = times[1] - times[0] if len(times) > 1 else 1.0
    nearest = np.clip(np.round((grid - times[0]) / step), 0, len(times) - 1).astype(np.int64)
    voiced = f0[nearest] > 0
    if not (f0 > 0).any():
        return np.zeros(frames, dtype=np.float32)
    has = f0 > 0
    log_f0 = np.interp(grid, times[has], np.log(f0[has]))
    return np.where(voiced, np.exp(log_f0), 0.0).astype(np.float32)


def write_f0(path: Path, f0: np.ndarray) -> None:
    """Save ``f0`` atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        np.save(handle, f0.astype(np.float32), allow_pickle=False)
    os.replace(tmp, path)


def read_f0(path: Path, frames: int | None = None) -> np.ndarray:
    """Load a pitch file; :class:`DataError` when missing, unreadable or of another length."""
    try:
        f0 = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read pitch {path} ({exc}): re-run `voicebot data prepare`") from None
    if f0.ndim != 1 or f0.dtype != np.float32 or not np.isfinite(f0).all():
        raise DataError(f"{path} is not a pitch track: re-run `voicebot data prepare`")
    if frames is not None and len(f0) != frames:
        raise DataError(f"{path} has {len(f0)} frames, the audio {frames}: re-run `voicebot data prepare`")
    return f0


def continuous_log_f0(f0: np.ndarray, fallback: float) -> np.ndarray:
    """Log-F0 through unvoiced frames by linear interpolation (edges hold the nearest voiced value;
    ``fallback`` where nothing is voiced). Returns: float32 array of the same length."""
    voiced = f0 > 0
    if not voiced.any():
        return np.full(len(f0), fallback, dtype=np.float32)
    frames = np.arange(len(f0))
    return np.interp(frames, frames[voiced], np.log(f0[voiced])).astype(np.float32)


def speaker_statistics(tracks: list[np.ndarray]) -> tuple[float, float]:
    """Mean and standard deviation of log-F0 over the voiced frames of ``tracks``.

    Raises :class:`DataError` when no frame is voiced (nothing to learn pitch from).
    """
    voiced = [np.log(f0[f0 > 0]) for f0 in tracks]
    values = np.concatenate(voiced) if voiced else np.zeros(0)
    if values.size < 2:
        raise DataError("no voiced frame in the speaker's audio: is it speech?")
    return float(values.mean()), max(float(values.std()), 1e-3)
