"""Objective quality of a synthesized sentence: MCD against its recording, DNSMOS without one.

MCD follows the yardstick the project scores voices with (``shared/tools/quality.py``): 24
cepstra (c0 left out) of the log-amplitude 80-band mel spectrum, aligned by dynamic time
warping, in dB; a relative yardstick, not SPTK's all-pass mel-cepstrum. DNSMOS (Microsoft's
P.835 SIG/BAK/OVRL and P.808 MOS) comes from the ``speechmos`` package, which bundles its
ONNX models: ``pip install 'voicebot[quality]'``; without it the scores are None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import soxr

from voicebot.bench import stft_magnitude
from voicebot.bench.pitch import dtw_path
from voicebot.model.features import mel_filterbank

__all__ = ["Dnsmos", "dnsmos", "dnsmos_available", "mel_cepstral_distortion"]

_RATE, _FFT, _HOP, _MELS, _ORDER = 22050, 1024, 256, 80, 24


@dataclass(frozen=True)
class Dnsmos:
    """DNSMOS of one file (or a mean): P.835 signal, background, overall, and P.808."""

    sig: float
    bak: float
    ovrl: float
    p808: float


def _cepstra(audio: np.ndarray, rate: int) -> np.ndarray:
    """(frames, 24) cepstra of the log-amplitude mel spectrum."""
    if rate != _RATE:
        audio = soxr.resample(audio, rate, _RATE)
    padded = np.pad(audio.astype(np.float64), (_FFT // 2, _FFT // 2), mode="reflect")
    power = stft_magnitude(padded, _FFT, _HOP) ** 2
    mel = power @ mel_filterbank(_RATE, _FFT, _MELS, 0.0, 8000.0).T.astype(np.float64)
    log_amplitude = 0.5 * np.log(mel + 1e-10)
    k = np.arange(_MELS)
    basis = np.cos(np.pi * np.arange(1, _ORDER + 1)[:, None] * (2 * k[None, :] + 1) / (2 * _MELS))
    return 2.0 * log_amplitude @ basis.T / _MELS  # DCT-II, unnormalised as scipy's, over bands


def mel_cepstral_distortion(
    audio: np.ndarray, rate: int, reference: np.ndarray, reference_rate: int
) -> float:
    """MCD in dB of ``audio`` against ``reference`` (float mono arrays at their own rates)."""
    ours, theirs = _cepstra(audio, rate), _cepstra(reference, reference_rate)
    pairs = np.array(dtw_path(ours, theirs))
    diff = ours[pairs[:, 0]] - theirs[pairs[:, 1]]
    return float(np.mean((10 / math.log(10)) * np.sqrt(2 * np.sum(diff**2, axis=1))))


def dnsmos_available() -> bool:
    """Whether ``speechmos`` (the ``quality`` extra) is installed."""
    try:
        import speechmos  # noqa: F401
    except ImportError:
        return False
    return True


def dnsmos(audio: np.ndarray, rate: int) -> Dnsmos:
    """DNSMOS of ``audio``, peak-normalised to 0.9 as the project's yardstick does.

    Raises:
        ImportError: ``speechmos`` is not installed (see :func:`dnsmos_available`).
    """
    from speechmos import dnsmos as model

    audio16 = soxr.resample(audio.astype(np.float32), rate, 16000) if rate != 16000 else audio
    peak = float(np.abs(audio16).max()) or 1.0
    scores = model.run(audio16 / peak * 0.9, 16000)
    return Dnsmos(
        float(scores["sig_mos"]),
        float(scores["bak_mos"]),
        float(scores["ovrl_mos"]),
        float(scores["p808_mos"]),
    )
