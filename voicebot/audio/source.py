"""A discord.py audio source of pre-encoded Opus packets, fed from asyncio.

The event loop calls :meth:`OpusPacketSource.put` as packets are encoded and
:meth:`OpusPacketSource.end` after the last one; discord.py's player thread calls
:meth:`OpusPacketSource.read` every 20 ms. Neither side ever blocks the event loop.

When synthesis is momentarily behind, ``read()`` waits up to ``max_wait`` seconds for the
next packet instead of inserting silence: the player then sends the late packet and catches
up on its 20 ms schedule with a few packets back to back, which the listener's jitter
buffer absorbs, so a short hiccup is not heard as a gap in the middle of a word. If the
wait runs out, the stall is real: ``read()`` returns one Opus silence frame per 20 ms
until packets come again, which keeps the player on schedule (a burst is never more than
``max_wait`` of audio) and lets the listener hear a pause rather than garbled catch-up.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterable

import discord
from discord.opus import OPUS_SILENCE

from voicebot.audio.errors import AudioError

__all__ = ["OpusPacketSource"]

_FRAME_SECONDS = 0.02


class OpusPacketSource(discord.AudioSource):
    """Play Opus packets handed over from asyncio; one source plays one utterance.

    Args:
        max_wait: longest a ``read()`` waits for a late packet before the source
            plays silence (seconds).
    """

    def __init__(self, *, max_wait: float = 0.1) -> None:
        self._packets: collections.deque[bytes] = collections.deque()
        self._changed = threading.Condition()
        self._ended = False
        self._stopped = False
        self._stalled = False
        if max_wait < 0:
            raise AudioError(f"max_wait must be >= 0 seconds (got {max_wait})")
        self._max_wait = max_wait

    def is_opus(self) -> bool:
        """Always True: packets are already Opus, so discord.py does no encoding."""
        return True

    def put(self, packets: Iterable[bytes]) -> None:
        """Queue packets to play after those already queued. Never blocks.

        Packets put after :meth:`stop` are dropped (the utterance was skipped).

        Raises:
            AudioError: after :meth:`end`, which promised there would be no more.
        """
        with self._changed:
            if self._stopped:
                return
            if self._ended:
                raise AudioError("packets were put after end(): start a new OpusPacketSource")
            self._packets.extend(packets)
            self._changed.notify_all()

    def end(self) -> None:
        """Mark the utterance complete: ``read()`` returns b"" once the queue is played."""
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def stop(self) -> None:
        """Skip: drop queued packets; ``read()`` returns b"" at once, also a waiting one."""
        with self._changed:
            self._stopped = True
            self._packets.clear()
            self._changed.notify_all()

    @property
    def done(self) -> bool:
        """True once ``read()`` has nothing more to return (stopped, or ended and played)."""
        with self._changed:
            return self._stopped or (self._ended and not self._packets)

    def read(self) -> bytes:
        """Return the next 20 ms Opus packet; called by the player thread.

        Returns: the next packet; an Opus silence frame when synthesis is stalled longer
        than ``max_wait``; b"" when the source is stopped, or ended and fully played.
        """
        with self._changed:
            if not self._packets and not self._ended and not self._stopped:
                wait = _FRAME_SECONDS if self._stalled else self._max_wait
                self._changed.wait_for(lambda: self._packets or self._ended or self._stopped, wait)
            if self._stopped:
                return b""
            if self._packets:
                self._stalled = False
                return self._packets.popleft()
            if self._ended:
                return b""
            self._stalled = True
            return OPUS_SILENCE

    def cleanup(self) -> None:
        """Release the queued packets and stop; called by the player when playback ends."""
        self.stop()
