"""One voice session per guild: a FIFO queue of utterances played as Opus.

The first chunk of an utterance starts playing while the engine still synthesizes the rest;
chunks of one utterance go through one :class:`~voicebot.audio.SpeechSource` (one encoder), so
no silence is inserted between them. The session leaves after ``idle_timeout`` seconds without
speech; :class:`~voicebot.bot.voice.manager.SessionManager` also ends it when no humans are
left in the channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from voicebot.audio import LoudnessNormalizer, SpeechSource
from voicebot.bot.errors import Refusal
from voicebot.engine import Engine, SynthesisStream
from voicebot.errors import VoicebotError

__all__ = ["Utterance", "VoicePlayer", "VoiceSession"]

_log = logging.getLogger(__name__)


_TARGET_LUFS = -20.0  # every voice and user alike, then each user's volume on top


@dataclass(frozen=True)
class Utterance:
    """One thing to say: text already normalized and with the guild dictionary applied.

    ``on_error`` is awaited with the error when synthesis fails, to tell the requester;
    ``on_playing`` is called once its first audio goes to the player.
    """

    text: str
    voice: str | None = None
    speaker: str | None = None
    speed: float = 1.0
    pitch: float = 0.0
    intonation: float = 1.0
    volume: float = 1.0
    user_id: int | None = None
    on_error: Callable[[VoicebotError], Awaitable[None]] | None = None
    on_playing: Callable[[], object] | None = None


class VoicePlayer(Protocol):
    """The part of :class:`discord.VoiceClient` a session uses."""

    channel: Any

    def play(self, source: SpeechSource, *, after: Callable[[Exception | None], Any]) -> None:
        """Start playing ``source`` on the player thread; ``after`` runs when it ends."""

    def stop(self) -> None:
        """Stop playing the current source."""

    def is_connected(self) -> bool:
        """Whether the voice connection is up."""

    @property
    def recovering(self) -> bool:
        """Whether the connection is being re-established after a voice error."""

    async def wait_recovered(self) -> None:
        """Return once no reconnect is in progress (at once when none is)."""

    async def disconnect(self, *, force: bool = False) -> None:
        """Leave the voice channel."""


class VoiceSession:
    """Plays queued utterances in one guild's voice channel, one after the other.

    Args:
        guild_id: the guild.
        voice: the connected voice client.
        engine: synthesizes the utterances.
        max_queue: utterances allowed to wait (the one playing does not count).
        idle_timeout: seconds without anything to say before the session leaves.
        on_closed: called once when the session has ended, whatever the reason.
    """

    def __init__(
        self,
        guild_id: int,
        voice: VoicePlayer,
        engine: Engine,
        *,
        max_queue: int,
        idle_timeout: float,
        on_closed: Callable[[VoiceSession], None] | None = None,
    ) -> None:
        self.guild_id = guild_id
        self.voice = voice
        self._engine = engine
        self._max_queue = max_queue
        self._idle_timeout = idle_timeout
        self._on_closed = on_closed
        self._queue: deque[Utterance] = deque()
        self._wakeup = asyncio.Event()
        self._current: asyncio.Task[None] | None = None
        # The synthesis of the utterance next in line, started when it was queued to an idle
        # session: a burst of messages from many servers reaches the engine together instead of
        # one at a time as each session's task gets its turn on the loop.
        self._early: tuple[Utterance, SynthesisStream | VoicebotError] | None = None
        self._accepting = True
        self._closed = asyncio.Event()
        self._leaving: asyncio.Task[None] | None = None
        self._runner = asyncio.create_task(self._run(), name=f"voice session {guild_id}")

    @property
    def pending(self) -> int:
        """Utterances waiting (not counting the one playing)."""
        return len(self._queue)

    @property
    def speaking(self) -> bool:
        """Whether an utterance is being synthesized or played."""
        return self._current is not None and not self._current.done()

    @property
    def accepting(self) -> bool:
        """Whether the session takes new speech (False from the moment it starts to close)."""
        return self._accepting and not self.closed

    @property
    def ending(self) -> bool:
        """Whether the session is leaving voice or has left."""
        return self._leaving is not None

    @property
    def closed(self) -> bool:
        """Whether the session has ended."""
        return self._closed.is_set()

    def enqueue(self, utterance: Utterance) -> None:
        """Add ``utterance`` at the end of the queue.

        Raises:
            Refusal: the queue is full, or the session is shutting down.
        """
        if not self._accepting:
            raise Refusal("shutting_down")
        if len(self._queue) >= self._max_queue:
            raise Refusal("queue_full", limit=self._max_queue)
        self._queue.append(utterance)
        if len(self._queue) == 1 and not self.speaking:
            try:
                self._early = (utterance, self._synthesize(utterance))
            except VoicebotError as exc:  # told to the requester when its turn comes, as always
                self._early = (utterance, exc)
        self._wakeup.set()

    def skip(self) -> bool:
        """Stop the utterance being spoken; the next one starts. ``False`` if nothing was playing."""
        if not self.speaking:
            return False
        assert self._current is not None
        self._current.cancel()
        return True

    def stop(self) -> int:
        """Clear the queue and stop the current utterance.

        Returns:
            How many waiting utterances were dropped.
        """
        dropped = len(self._queue)
        self._queue.clear()
        self._early = None  # dropping the stream cancels its synthesis
        self.skip()
        return dropped

    async def close(self, *, grace: float = 0.0) -> None:
        """End the session: refuse new speech, let the current utterance finish within ``grace``
        seconds, drop the queue and leave the voice channel. Safe to call more than once."""
        self._accepting = False
        self._queue.clear()
        if grace > 0 and self.speaking:
            assert self._current is not None
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._current), grace)
        self._runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._runner
        await self._leave()

    async def wait_closed(self) -> None:
        """Wait until the session has ended."""
        await self._closed.wait()

    async def _run(self) -> None:
        try:
            while True:
                if not self._queue:
                    self._wakeup.clear()
                    try:
                        await asyncio.wait_for(self._wakeup.wait(), self._idle_timeout)
                    except TimeoutError:
                        _log.info(
                            "guild %s: idle for %.0f s, leaving voice", self.guild_id, self._idle_timeout
                        )
                        return
                    continue
                utterance = self._queue.popleft()
                self._current = asyncio.create_task(self._speak(utterance))
                try:
                    await self._current
                except asyncio.CancelledError:
                    if self._runner.cancelling():
                        raise
                except Exception:  # a broken utterance must not end the session while voice is up
                    _log.exception("guild %s: playing an utterance failed", self.guild_id)
                    if not self.voice.is_connected():
                        return
        finally:
            await asyncio.shield(self._leave())

    def _leave(self) -> asyncio.Task[None]:
        """The one task that leaves voice and ends the session, started on first call.

        The runner and every :meth:`close` caller wait for the same task, so voice is left
        once; cancelling a waiter (the runner, when it is closed while leaving) does not
        interrupt the leave half-way.
        """
        if self._leaving is None:
            self._leaving = asyncio.create_task(self._finish(), name=f"leave voice {self.guild_id}")
        return self._leaving

    async def _finish(self) -> None:
        self._accepting = False
        self._queue.clear()
        self._early = None
        if self._current is not None and not self._current.done():
            self._current.cancel()
        try:
            await self.voice.disconnect(force=True)
        except Exception:  # leaving must not fail the shutdown, whatever discord.py raises
            _log.warning("guild %s: error while leaving voice", self.guild_id, exc_info=True)
        self._closed.set()
        if self._on_closed is not None:
            self._on_closed(self)

    async def _speak(self, utterance: Utterance) -> None:
        loop = asyncio.get_running_loop()
        finished = asyncio.Event()

        def after(error: Exception | None) -> None:
            if error is not None:
                _log.warning("guild %s: voice player stopped: %r", self.guild_id, error)
            loop.call_soon_threadsafe(finished.set)

        source = SpeechSource(loudness=LoudnessNormalizer(_TARGET_LUFS + 20 * math.log10(utterance.volume)))
        playing = False
        try:
            stream = self._started(utterance)
            async with stream:  # leaving early (skip) cancels the synthesis
                async for chunk in stream:
                    source.put(chunk.samples, chunk.sample_rate)
                    if not playing:
                        await self._play(source, after, utterance)
                        playing = True
            source.end()
            if not playing:
                await self._play(source, after, utterance)
                playing = True
            await finished.wait()
        except asyncio.CancelledError:
            source.stop()
            if playing:
                self.voice.stop()
            raise
        except VoicebotError as exc:
            _log.warning("guild %s: could not say %r: %s", self.guild_id, utterance.text[:40], exc)
            source.stop()
            if playing:
                self.voice.stop()
            if utterance.on_error is not None:
                await utterance.on_error(exc)

    def _started(self, utterance: Utterance) -> SynthesisStream:
        """The synthesis of ``utterance``: the one started when it was queued, else a new one.

        Raises: VoicebotError: the engine refused it.
        """
        early, self._early = self._early, None
        if early is None or early[0] is not utterance:
            return self._synthesize(utterance)
        if isinstance(early[1], VoicebotError):
            raise early[1]
        return early[1]

    def _synthesize(self, utterance: Utterance) -> SynthesisStream:
        """Start synthesizing ``utterance``. Raises: VoicebotError: the engine refused it."""
        return self._engine.synthesize(
            utterance.text,
            voice=utterance.voice,
            speaker=utterance.speaker,
            speed=utterance.speed,
            pitch=utterance.pitch,
            intonation=utterance.intonation,
            guild_id=self.guild_id,
        )

    async def _play(
        self, source: SpeechSource, after: Callable[[Exception | None], Any], utterance: Utterance
    ) -> None:
        """Start ``source`` of ``utterance``; during a voice reconnect, once it is over (speech is
        not lost to it)."""
        await self.voice.wait_recovered()
        self.voice.play(source, after=after)
        if utterance.on_playing is not None:
            utterance.on_playing()
