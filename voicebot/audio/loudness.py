"""Streaming loudness normalization with a peak limiter, so every voice and user sounds alike.

Loudness is measured the way ITU-R BS.1770 does, approximately: K-weighting (a high shelf
that stresses the presence region and a high-pass that ignores rumble), mean square over
100 ms blocks, and gating that leaves the pauses between words out. The weighting is applied
in the frequency domain (Parseval), so no per-sample filter loop runs in Python.

The gain is per utterance: it follows the gated loudness of the utterance so far, which the
first chunk with speech sets and later chunks refine; within a chunk the gain moves as a
linear ramp, so it never jumps, and no faster than a few dB per second. A look-ahead peak
limiter then keeps every sample under the ceiling: it lowers the gain over 1.5 ms before a
peak and holds it for 20 ms (longer than a pitch period, so it does not ripple on voiced
speech). The look-ahead stays within a chunk, so no latency is added.
"""

from __future__ import annotations

import math

import numpy as np

from voicebot.audio.errors import AudioError

__all__ = ["LoudnessNormalizer", "measure_loudness"]

_BLOCK_SECONDS = 0.1
_ABSOLUTE_GATE = -50.0  # LUFS; BS.1770 says -70, but quieter than this is a pause or noise, not speech
_RELATIVE_GATE = 10.0  # dB below the ungated level
_ATTACK_SECONDS = 0.0015
_HOLD_SECONDS = 0.02
_FIRST_FADE_SECONDS = 0.01


def _biquad_power(b: tuple[float, float, float], a: tuple[float, float, float], w: np.ndarray) -> np.ndarray:
    """|H(e^{jw})|^2 of one biquad section at angular frequencies ``w`` (radians per sample)."""
    z = np.exp(-1j * w)
    num = b[0] + b[1] * z + b[2] * z * z
    den = a[0] + a[1] * z + a[2] * z * z
    return np.abs(num / den) ** 2


def _k_weighting(sample_rate: int, n: int) -> np.ndarray:
    """Power response of the K-weighting pre-filter at the bins of a length-``n`` rfft.

    Returns: array of shape (n // 2 + 1,).
    """
    w = 2 * np.pi * np.fft.rfftfreq(n)
    # High shelf +4 dB above ~1.7 kHz (RBJ cookbook form of BS.1770's stage 1).
    gain, f0, q = 10 ** (4.0 / 40), 1681.97, 0.7072
    w0 = 2 * np.pi * f0 / sample_rate
    cos0 = math.cos(w0)
    shelf_alpha = 2 * math.sqrt(gain) * math.sin(w0) / (2 * q)
    shelf_b = (
        gain * ((gain + 1) + (gain - 1) * cos0 + shelf_alpha),
        -2 * gain * ((gain - 1) + (gain + 1) * cos0),
        gain * ((gain + 1) + (gain - 1) * cos0 - shelf_alpha),
    )
    shelf_a = (
        (gain + 1) - (gain - 1) * cos0 + shelf_alpha,
        2 * ((gain - 1) - (gain + 1) * cos0),
        (gain + 1) - (gain - 1) * cos0 - shelf_alpha,
    )
    # Second-order high-pass at 38 Hz (stage 2, the "revised low-frequency B" curve).
    w1 = 2 * np.pi * 38.1 / sample_rate
    alpha1, cos1 = math.sin(w1) / (2 * 0.5003), math.cos(w1)
    hp_b = ((1 + cos1) / 2, -(1 + cos1), (1 + cos1) / 2)
    hp_a = (1 + alpha1, -2 * cos1, 1 - alpha1)
    return _biquad_power(shelf_b, shelf_a, w) * _biquad_power(hp_b, hp_a, w)


def _block_size(sample_rate: int) -> int:
    return max(1, round(_BLOCK_SECONDS * sample_rate))


def _block_powers(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """K-weighted mean square of each whole 100 ms block (one block of all if shorter).

    Returns: array of shape (blocks,).
    """
    size = _block_size(sample_rate)
    count = max(1, len(samples) // size)
    size = min(size, len(samples))
    blocks = samples[: count * size].reshape(count, size).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(blocks, axis=1)) ** 2
    # Parseval for an rfft: every bin but DC (and Nyquist for even sizes) stands for two.
    twice = np.full(spectrum.shape[1], 2.0)
    twice[0] = 1.0
    if size % 2 == 0:
        twice[-1] = 1.0
    return (spectrum * twice * _k_weighting(sample_rate, size)).sum(axis=1) / (size * size)


def _lufs(power: float | np.ndarray) -> float | np.ndarray:
    return -0.691 + 10 * np.log10(np.maximum(power, 1e-20))


def _gated_loudness(powers: np.ndarray) -> float | None:
    """Loudness in LUFS of blocks of the given mean squares, pauses gated out (None: silence)."""
    loud = powers[_lufs(powers) > _ABSOLUTE_GATE]
    if len(loud) == 0:
        return None
    relative_gate = float(_lufs(loud.mean())) - _RELATIVE_GATE
    return float(_lufs(loud[_lufs(loud) > relative_gate].mean()))


def measure_loudness(samples: np.ndarray, sample_rate: int) -> float | None:
    """Gated, K-weighted loudness of mono ``samples`` (shape (N,)), in LUFS.

    Returns: the loudness, or None for silence or an empty array.
    """
    if len(samples) == 0:
        return None
    return _gated_loudness(_block_powers(samples, sample_rate))


def _sliding_min(values: np.ndarray, width: int) -> np.ndarray:
    """``out[i] = min(values[i : i + width])`` for every full window, in O(N log width).

    Returns: array of shape (len(values) - width + 1,).
    """
    result = values.copy()
    span = 1
    while span * 2 <= width:
        result[:-span] = np.minimum(result[:-span], result[span:])
        span *= 2
    count = len(values) - width + 1
    return np.minimum(result[:count], result[width - span : width - span + count])


class LoudnessNormalizer:
    """Bring each utterance to ``target_lufs`` and keep peaks under ``ceiling_db``.

    The gain follows the gated loudness of the utterance so far: the first chunk with
    speech sets it, each later chunk refines the measurement and the gain ramps toward the
    new value across the chunk, at most ``max_slew_db`` per second of audio.
    Use one normalizer per utterance, or call :meth:`reset` between utterances.

    Args:
        target_lufs: loudness to reach; -20 LUFS sits well with Discord voice chat.
        ceiling_db: highest sample peak allowed, dBFS.
        max_boost_db: most a quiet voice is amplified (so noise is never pumped up).
        max_slew_db: fastest the gain may move after the first chunk, dB per second.
    """

    def __init__(
        self,
        target_lufs: float = -20.0,
        *,
        ceiling_db: float = -1.0,
        max_boost_db: float = 24.0,
        max_slew_db: float = 12.0,
    ) -> None:
        if not -60.0 <= target_lufs <= 0.0:
            raise AudioError(f"target loudness {target_lufs} LUFS is out of range: use -60 to 0")
        if ceiling_db > 0.0:
            raise AudioError(f"peak ceiling {ceiling_db} dBFS would clip: use 0 or below")
        self.target_lufs = target_lufs
        self._ceiling = 10 ** (ceiling_db / 20)
        self._max_boost_db = max_boost_db
        self._max_slew_db = max_slew_db
        self.reset()

    def reset(self) -> None:
        """Forget the current utterance: the next chunk with speech sets the gain afresh."""
        self._gain_db: float | None = None
        self._applied = 1.0  # linear gain at the end of the last chunk
        self._started = False  # whether any samples of this utterance were processed
        self._powers: list[float] = []  # K-weighted mean square of each whole block so far
        self._leftover = np.zeros(0)  # samples not yet in a whole block
        self._measure_rate = 0
        self._limit_history = np.ones(0)  # limiter's wanted gains for the last samples
        self._limit_rate = 0

    @property
    def gain_db(self) -> float | None:
        """The loudness gain reached at the end of the last chunk, dB (None before speech)."""
        return self._gain_db

    def _measure(self, samples: np.ndarray, sample_rate: int) -> float | None:
        """Loudness of the utterance so far, LUFS (a partial block stands in before a whole one)."""
        if sample_rate != self._measure_rate:
            self._leftover, self._measure_rate = np.zeros(0), sample_rate
        pending = np.concatenate([self._leftover, samples])
        whole = len(pending) - len(pending) % _block_size(sample_rate)
        if whole:
            self._powers.extend(_block_powers(pending[:whole], sample_rate).tolist())
        self._leftover = pending[whole:]
        powers = np.asarray(self._powers) if self._powers else _block_powers(pending, sample_rate)
        return _gated_loudness(powers)

    def _next_gain(self, samples: np.ndarray, sample_rate: int) -> float:
        loudness = self._measure(samples, sample_rate)
        if loudness is None:
            return self._applied
        wanted = min(self.target_lufs - loudness, self._max_boost_db)
        if self._gain_db is None:
            self._gain_db = wanted
        else:
            step = self._max_slew_db * len(samples) / sample_rate
            self._gain_db += float(np.clip(wanted - self._gain_db, -step, step))
        return 10 ** (self._gain_db / 20)

    def _limit(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        attack = max(1, round(_ATTACK_SECONDS * sample_rate))
        hold = max(1, round(_HOLD_SECONDS * sample_rate))
        wanted = np.minimum(1.0, self._ceiling / np.maximum(np.abs(samples), 1e-12))
        if self._limit_rate != sample_rate:
            self._limit_history, self._limit_rate = np.ones(hold + attack), sample_rate
        padded = np.concatenate([self._limit_history, wanted, np.ones(attack)])
        self._limit_history = padded[-(hold + attack) - attack : -attack]
        # held[k] = min of wanted over [k - hold, k + attack]; averaging it over the last
        # attack + 1 values gives a ramp that is under ``wanted`` at every sample.
        held = _sliding_min(padded, hold + attack + 1)
        sums = np.concatenate([[0.0], np.cumsum(held)])
        smooth = (sums[attack + 1 :] - sums[: -attack - 1]) / (attack + 1)
        return samples * smooth[: len(samples)]

    def process(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """Normalize the next chunk of the utterance.

        Args:
            samples: float array of shape (N,), mono.
            sample_rate: rate of ``samples`` in Hz.

        Returns: float32 array of shape (N,), louder or quieter, every |sample| under the ceiling.
        """
        samples = np.asarray(samples, dtype=np.float64)
        if samples.ndim != 1 or sample_rate <= 0:
            raise AudioError(f"expected mono samples of shape (N,) and a positive rate, got {samples.shape}")
        if len(samples) == 0:
            return samples.astype(np.float32)
        start, established = self._applied, self._gain_db is not None
        end = self._next_gain(samples, sample_rate)
        if established:
            ramp = len(samples)
        elif self._started:  # what played so far was under the speech gate: a short fade is unheard
            ramp = min(len(samples), round(_FIRST_FADE_SECONDS * sample_rate))
        else:  # the utterance starts here, at its gain
            ramp = 0
        self._started = True
        gain = np.full(len(samples), end)
        gain[:ramp] = np.linspace(start, end, ramp)
        self._applied = end
        gained = samples * gain
        limited = self._limit(gained, sample_rate)
        return np.clip(limited, -self._ceiling, self._ceiling).astype(np.float32)
