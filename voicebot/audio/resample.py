"""Streaming polyphase resampler (Kaiser-windowed sinc) that keeps its filter state across calls.

Feeding a signal in pieces of any size gives exactly the samples that feeding it whole would:
the filter history and the fractional output position carry over, so chunk boundaries never
click. The filter is centred (zero delay): output sample ``n`` is the input at time
``n / out_rate``, so :meth:`StreamResampler.flush` emits the last few samples that needed
look-ahead and the total output is ``ceil(len(input) * out_rate / in_rate)`` samples.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from voicebot.audio.errors import AudioError

__all__ = ["StreamResampler"]

_TAPS = 32  # taps per output sample when upsampling; ~0.7 ms of 24 kHz context each side
_BETA = 8.6  # Kaiser window: about 90 dB stopband
_ROLLOFF = 0.94  # passband edge as a fraction of the lower Nyquist frequency
_BLOCK = 2048  # output samples computed at once


@functools.lru_cache(maxsize=16)
def _filter_bank(up: int, down: int, taps: int) -> np.ndarray:
    """Polyphase bank of a low-pass prototype of ``taps * up`` coefficients, computed once per
    ratio (every utterance starts a resampler; the bank took 0.4 ms of its first packet).

    Returns: read-only array of shape (up, taps): row ``p`` holds the coefficients applied to
    input samples ``x[base], x[base - 1], ...`` for output phase ``p``; each row sums to 1.
    """
    length = taps * up
    t = (np.arange(length) - length / 2) / up  # coefficient times, in input samples
    cutoff = _ROLLOFF * min(1.0, up / down)
    window = np.i0(_BETA * np.sqrt(np.clip(1.0 - (2.0 * t / taps) ** 2, 0.0, 1.0))) / np.i0(_BETA)
    prototype = cutoff * np.sinc(cutoff * t) * window
    bank = prototype.reshape(taps, up).T.copy()
    bank /= bank.sum(axis=1, keepdims=True)  # exact unity DC gain on every phase
    bank.flags.writeable = False
    return bank


class StreamResampler:
    """Resample a mono float stream from ``in_rate`` to ``out_rate`` Hz, chunk by chunk.

    Args:
        in_rate: sample rate of the input, Hz.
        out_rate: sample rate of the output, Hz.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise AudioError(f"sample rates must be positive (got {in_rate} -> {out_rate} Hz)")
        self.in_rate = in_rate
        self.out_rate = out_rate
        g = math.gcd(in_rate, out_rate)
        self._up, self._down = out_rate // g, in_rate // g
        self._taps = 2 * math.ceil(_TAPS * max(1.0, self._down / self._up) / 2)
        self._bank = _filter_bank(self._up, self._down, self._taps)[:, ::-1]
        self._reset()

    def _reset(self) -> None:
        self._buffer = np.zeros(self._taps, dtype=np.float64)  # input samples from index _start on
        self._start = -self._taps
        self._count = 0  # input samples received
        self._next = 0  # index of the next output sample

    def _produce(self, stop: int) -> np.ndarray:
        """Output samples ``_next .. stop - 1`` from the buffered input."""
        if stop <= self._next:
            return np.zeros(0, dtype=np.float32)
        windows = np.lib.stride_tricks.sliding_window_view(self._buffer, self._taps)
        out = np.empty(stop - self._next, dtype=np.float32)
        for first in range(self._next, stop, _BLOCK):  # blocks bound the (n, taps) temporaries
            n = np.arange(first, min(first + _BLOCK, stop), dtype=np.int64)
            position = n * self._down + (self._taps * self._up) // 2
            base, phase = position // self._up, position % self._up
            rows = windows[base - self._taps + 1 - self._start]
            out[first - self._next : first - self._next + len(n)] = np.einsum(
                "nk,nk->n", rows, self._bank[phase]
            )
        self._next = stop
        keep_from = ((stop * self._down + (self._taps * self._up) // 2) // self._up) - self._taps + 1
        if keep_from > self._start:
            self._buffer = self._buffer[keep_from - self._start :]
            self._start = keep_from
        return out

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Resample the next piece of the stream.

        Args:
            samples: float array of shape (N,), the next N input samples.

        Returns: float32 array of shape (M,): every output sample that the input so far
        determines (M is about N * out_rate / in_rate; the last few wait for more input).
        """
        if self._up == self._down:
            return np.asarray(samples, dtype=np.float32)
        self._buffer = np.concatenate([self._buffer, np.asarray(samples, dtype=np.float64)])
        self._count += len(samples)
        last_base = self._count - 1
        stop = (last_base * self._up + self._up - 1 - (self._taps * self._up) // 2) // self._down + 1
        return self._produce(max(stop, self._next))

    def flush(self) -> np.ndarray:
        """End the stream: return the remaining output samples and start afresh.

        Returns: float32 array of shape (M,), so that the whole output has
        ``ceil(total_input * out_rate / in_rate)`` samples.
        """
        if self._up == self._down:
            return np.zeros(0, dtype=np.float32)
        total = -(-self._count * self._up // self._down)
        self._buffer = np.concatenate([self._buffer, np.zeros(self._taps, dtype=np.float64)])
        out = self._produce(max(total, self._next))
        self._reset()
        return out
