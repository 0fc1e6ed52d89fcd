"""A discord.py audio source that encodes an utterance to Opus as it plays.

The event loop calls :meth:`SpeechSource.put` with each synthesized chunk and
:meth:`SpeechSource.end` after the last; discord.py's player thread calls
:meth:`SpeechSource.read` every 20 ms, and that is where the audio is normalized, resampled and
encoded, one 20 ms frame per read. Encoding a chunk takes about 0.3 ms per frame (4 ms for a
first chunk of 0.26 s); done on the event loop when chunks arrive, sixteen servers' first chunks
coming out of one batch held the last server's first packet behind some 70 ms of other servers'
encoding. Here a first packet waits for one frame, and the work is spread over the playback:
a chunk is normalized whole (its loudness sets the gain) but resampled a few frames at a time,
so the first read of a 0.26 s chunk takes about 1.8 ms and the read that starts a 1.28 s chunk
2.2 ms, and a read within a chunk 0.13 ms (a player thread has 20 ms per packet, GIL included).

When synthesis is momentarily behind, ``read()`` waits up to ``max_wait`` seconds for the
next chunk instead of inserting silence: the player then sends the late packet and catches
up on its 20 ms schedule with a few packets back to back, which the listener's jitter
buffer absorbs, so a short hiccup is not heard as a gap in the middle of a word. If the
wait runs out, the stall is real: ``read()`` returns one Opus silence frame per 20 ms
until audio comes again, which keeps the player on schedule (a burst is never more than
``max_wait`` of audio) and lets the listener hear a pause rather than garbled catch-up.
"""

from __future__ import annotations

import collections
import threading

import discord
import numpy as np
from discord.opus import OPUS_SILENCE

from voicebot.audio.encoder import OpusStreamEncoder, mono_float
from voicebot.audio.errors import AudioError
from voicebot.audio.loudness import LoudnessNormalizer

__all__ = ["SpeechSource"]

_FRAME_SECONDS = 0.02
_FEED_SECONDS = 0.06  # audio resampled at once: three frames


class SpeechSource(discord.AudioSource):
    """Play one utterance handed over from asyncio chunk by chunk.

    Args:
        encoder: encodes the utterance (a new 96 kbps encoder when None).
        loudness: normalizes each chunk before encoding (none when None).
        max_wait: longest a ``read()`` waits for a late chunk before the source plays
            silence (seconds).
    """

    def __init__(
        self,
        encoder: OpusStreamEncoder | None = None,
        loudness: LoudnessNormalizer | None = None,
        *,
        max_wait: float = 0.1,
    ) -> None:
        self._encoder = encoder or OpusStreamEncoder()
        self._loudness = loudness
        self._chunks: collections.deque[tuple[np.ndarray, int]] = collections.deque()
        self._changed = threading.Condition()
        self._ended = False
        self._stopped = False
        # The player thread's alone: packets encoded and not yet read, and the encoder's state.
        self._packets: collections.deque[bytes] = collections.deque()
        self._normalized = np.zeros(0, dtype=np.float32)  # of the current chunk, not yet resampled
        self._normalized_rate = 0
        self._flushed = False
        self._stalled = False
        if max_wait < 0:  # checked last: discord.AudioSource.__del__ calls cleanup()
            raise AudioError(f"max_wait must be >= 0 seconds (got {max_wait})")
        self._max_wait = max_wait

    def is_opus(self) -> bool:
        """Always True: packets are already Opus, so discord.py does no encoding."""
        return True

    def put(self, samples: np.ndarray, sample_rate: int) -> None:
        """Queue the next chunk (float mono, any rate) to play after those already queued.
        Never blocks. Chunks put after :meth:`stop` are dropped (the utterance was skipped).

        Raises:
            AudioError: ``samples`` is not a 1-D float array, or :meth:`end` was called.
        """
        samples = mono_float(samples)
        with self._changed:
            if self._stopped:
                return
            if self._ended:
                raise AudioError("audio was put after end(): start a new SpeechSource")
            self._chunks.append((samples, sample_rate))
            self._changed.notify_all()

    def end(self) -> None:
        """Mark the utterance complete: ``read()`` returns b"" once everything is played."""
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def stop(self) -> None:
        """Skip: drop what is queued; ``read()`` returns b"" at once, also a waiting one."""
        with self._changed:
            self._stopped = True
            self._chunks.clear()
            self._changed.notify_all()

    def _has_audio(self) -> bool:
        return bool(self._packets or self._chunks or self._encoder_holds())

    def _encoder_holds(self) -> bool:
        """Whether audio of the current chunk is yet to be encoded."""
        return bool(self._encoder.frames_ready or len(self._normalized))

    def read(self) -> bytes:
        """Return the next 20 ms Opus packet; called by the player thread.

        Returns: the next packet; an Opus silence frame when synthesis is stalled longer
        than ``max_wait``; b"" when the source is stopped, or ended and fully played.
        """
        while True:
            with self._changed:
                if not (self._has_audio() or self._ended or self._stopped):
                    wait = _FRAME_SECONDS if self._stalled else self._max_wait
                    self._changed.wait_for(lambda: self._has_audio() or self._ended or self._stopped, wait)
                if self._stopped:
                    return b""
                if not self._has_audio():
                    if not self._ended:
                        self._stalled = True
                        return OPUS_SILENCE
                    if self._flushed:
                        return b""
                chunk = None
                if not (self._packets or self._encoder_holds()) and self._chunks:
                    chunk = self._chunks.popleft()
            # Outside the lock, so put() never waits for encoding: only this thread encodes.
            if not self._packets:
                self._packets.extend(self._encode(chunk))
            if self._packets:
                self._stalled = False
                return self._packets.popleft()

    def _encode(self, chunk: tuple[np.ndarray, int] | None) -> list[bytes]:
        """The next packet(s): of what the encoder holds, else of ``chunk``, else the flush."""
        encoder = self._encoder
        ending = chunk is None and not self._encoder_holds()  # the utterance ended, all encoded
        if chunk is not None:
            samples, rate = chunk
            if self._loudness is not None:
                samples = self._loudness.process(samples, rate)
            self._normalized, self._normalized_rate = samples, rate
        while not encoder.frames_ready and len(self._normalized):
            piece = max(1, round(_FEED_SECONDS * self._normalized_rate))
            encoder.feed(self._normalized[:piece], self._normalized_rate)
            self._normalized = self._normalized[piece:]
        if encoder.frames_ready:
            return encoder.take(1)
        if ending:  # all but the last partial frame is encoded
            self._flushed = True
            return encoder.flush()
        return []

    def cleanup(self) -> None:
        """Drop what is queued and stop; called by the player when playback ends."""
        self.stop()
