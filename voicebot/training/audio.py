"""Audio clean-up for data prepare: decode, mono, resample, trim silence, even loudness."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from voicebot.training.errors import DataError

__all__ = ["AUDIO_EXTENSIONS", "load_audio", "normalize_loudness", "trim_silence", "write_wav"]

AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3")

_FRAME_SECONDS = 0.01


def load_audio(path: Path, sample_rate: int) -> np.ndarray:
    """Decode ``path`` (wav, flac or mp3) to float32 mono at ``sample_rate``.

    Returns: array of shape (S,). Raises :class:`DataError` when the file cannot be decoded.
    """
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        hint = " (mp3 needs libsndfile >= 1.1: pip install -U soundfile)" if path.suffix == ".mp3" else ""
        raise DataError(f"cannot decode audio {path}: {exc}{hint}") from None
    mono = data.mean(axis=1)
    if rate != sample_rate:
        mono = soxr.resample(mono, rate, sample_rate, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)


def _frame_db(samples: np.ndarray, frame: int) -> np.ndarray:
    n = len(samples) // frame
    frames = samples[: n * frame].reshape(n, frame).astype(np.float64)
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-12)


def trim_silence(
    samples: np.ndarray, sample_rate: int, threshold_db: float = 40.0, margin_seconds: float = 0.05
) -> np.ndarray:
    """Cut leading/trailing audio quieter than ``threshold_db`` below the loudest 10 ms frame.

    ``margin_seconds`` of the quiet part is kept on each side so onsets and releases survive.
    Returns: array of shape (S',) with S' <= S (empty when everything is silent).
    """
    frame = max(1, int(sample_rate * _FRAME_SECONDS))
    db = _frame_db(samples, frame)
    if len(db) == 0:
        return samples[:0]
    loud = np.flatnonzero(db > db.max() - threshold_db)
    if db.max() < -80.0 or len(loud) == 0:
        return samples[:0]
    margin = int(margin_seconds * sample_rate)
    start = max(0, loud[0] * frame - margin)
    end = min(len(samples), (loud[-1] + 1) * frame + margin)
    return samples[start:end]


def normalize_loudness(
    samples: np.ndarray, sample_rate: int, target_dbfs: float = -20.0, peak: float = 0.89
) -> np.ndarray:
    """Scale so the speech (frames within 30 dB of the loudest) averages ``target_dbfs`` RMS.

    The gain is lowered if needed so no sample exceeds ``peak`` (about -1 dBFS): never clips.
    Returns: array of shape (S,).
    """
    frame = max(1, int(sample_rate * _FRAME_SECONDS))
    db = _frame_db(samples, frame)
    if len(db) == 0 or samples.size == 0:
        return samples
    speech = db[db > db.max() - 30.0]
    level = 10.0 * np.log10(np.mean(10.0 ** (speech / 10.0)))
    gain = 10.0 ** ((target_dbfs - level) / 20.0)
    top = float(np.abs(samples).max())
    if top * gain > peak:
        gain = peak / top
    return (samples * gain).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write 16-bit PCM WAV atomically (temp file + rename), so a killed run leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    sf.write(str(tmp), samples, sample_rate, subtype="PCM_16", format="WAV")
    os.replace(tmp, path)
