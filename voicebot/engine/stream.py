"""A request in flight and the async iterator its caller reads audio chunks from."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable, Hashable
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from voicebot.engine.errors import SynthesisTimeout
from voicebot.engine.values import AudioChunk
from voicebot.errors import VoicebotError
from voicebot.model import PitchControl

if TYPE_CHECKING:
    from voicebot.engine.pool import WorkerHandle

__all__ = ["Request", "SynthesisStream"]

_ids = itertools.count(1)


class Request:
    """One call of ``Engine.synthesize``: what to say, where it runs, what has come back.

    The engine fills ``inbox`` with :class:`AudioChunk` items, then ``None`` at the end, or
    an exception instead; the caller's :class:`SynthesisStream` drains it.
    """

    def __init__(
        self,
        text: str,
        voice: str,
        version: str,
        speaker: str | None,
        speed: float,
        pitch: PitchControl,
        guild: Hashable,
        timeout: float,
        keep_audio: bool,
    ) -> None:
        self.id = next(_ids)
        self.text = text
        self.voice = voice
        self.version = version
        self.speaker = speaker
        self.speed = speed
        self.pitch = pitch
        self.guild = guild
        self.timeout = timeout
        self.submitted_at = time.monotonic()
        self.deadline = self.submitted_at + timeout
        self.attempts = 0
        self.delivered = 0
        self.worker: WorkerHandle | None = None
        self.finished = False
        self.cancelled = False
        self.inbox: asyncio.Queue[AudioChunk | VoicebotError | None] = asyncio.Queue()
        self.audio: list[np.ndarray] | None = [] if keep_audio else None
        self.sample_rate = 0

    def push(self, samples: np.ndarray, sample_rate: int) -> None:
        """Deliver one chunk of shape (S,) to the caller."""
        if self.finished:
            return
        self.delivered += 1
        self.sample_rate = sample_rate
        if self.audio is not None:
            self.audio.append(samples)
        self.inbox.put_nowait(AudioChunk(samples, sample_rate, self.voice, self.version))

    def finish(self, error: VoicebotError | None = None) -> None:
        """End the stream, with ``error`` raised to the caller if given."""
        if self.finished:
            return
        self.finished = True
        self.inbox.put_nowait(error)


class SynthesisStream:
    """Async iterator of :class:`AudioChunk`, first sentence first.

    Stopping early cancels the synthesis in its worker at once: ``aclose()``, leaving
    ``async with`` (so a ``break`` inside it), the reading task being cancelled, a timeout, or
    dropping the last reference to the stream.
    """

    def __init__(self, request: Request, cancel: Callable[[Request], None]) -> None:
        self._request = request
        self._cancel = cancel
        self._loop = asyncio.get_running_loop()
        self._done = False

    def __aiter__(self) -> SynthesisStream:
        return self

    async def __anext__(self) -> AudioChunk:
        if self._done:
            raise StopAsyncIteration
        request = self._request
        remaining = request.deadline - time.monotonic()
        try:
            async with asyncio.timeout(max(remaining, 0.0)):
                item = await request.inbox.get()
        except TimeoutError:
            self._stop()
            raise SynthesisTimeout(
                f"no audio within {request.timeout:.0f} s, so the message was skipped: the bot is "
                "overloaded or the message is too long; try a shorter message or more workers"
            ) from None
        except asyncio.CancelledError:
            self._stop()
            raise
        if item is None:
            self._done = True
            raise StopAsyncIteration
        if isinstance(item, VoicebotError):
            self._done = True
            raise item
        return item

    def _stop(self) -> None:
        if not self._done:
            self._done = True
            self._cancel(self._request)

    async def aclose(self) -> None:
        """Stop reading; cancels the synthesis if it has not finished."""
        self._stop()

    async def __aenter__(self) -> SynthesisStream:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop()

    def __del__(self) -> None:
        if not self._done:
            self._done = True
            with contextlib.suppress(RuntimeError):  # the loop is already closed: nothing runs
                self._loop.call_soon_threadsafe(self._cancel, self._request)
