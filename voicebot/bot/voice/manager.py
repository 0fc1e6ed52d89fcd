"""Keeps one :class:`VoiceSession` per guild: joins on first use, leaves when no humans remain."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

import discord

from voicebot.bot.errors import Refusal
from voicebot.bot.messages import text
from voicebot.bot.voice.client import ManagedVoiceClient
from voicebot.bot.voice.recovery import Decision
from voicebot.bot.voice.session import VoicePlayer, VoiceSession
from voicebot.engine import Engine

__all__ = ["Connector", "SessionManager", "connect_voice", "has_humans"]

_log = logging.getLogger(__name__)

Connector = Callable[
    [discord.VoiceChannel | discord.StageChannel, Callable[[Decision], None]], Awaitable[VoicePlayer]
]
"""Joins a voice channel; the callback is called if the connection is abandoned."""

CONNECT_TIMEOUT = 20.0


async def connect_voice(
    channel: discord.VoiceChannel | discord.StageChannel, on_give_up: Callable[[Decision], None]
) -> VoicePlayer:
    """Join ``channel`` with a :class:`ManagedVoiceClient` (self-deafened: the bot never listens)."""
    return await channel.connect(
        cls=functools.partial(ManagedVoiceClient, on_give_up=on_give_up),
        timeout=CONNECT_TIMEOUT,
        self_deaf=True,
    )


def has_humans(channel: discord.abc.GuildChannel) -> bool:
    """Whether anyone but bots is in the voice ``channel``."""
    return any(not member.bot for member in getattr(channel, "members", ()))


class SessionManager:
    """The guilds' voice sessions.

    Args:
        engine: passed to each session.
        max_queue: per-guild queue limit.
        idle_timeout: seconds of silence before a session leaves.
        connector: joins a channel (injectable for tests).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        max_queue: int,
        idle_timeout: float,
        connector: Connector = connect_voice,
    ) -> None:
        self._engine = engine
        self._max_queue = max_queue
        self._idle_timeout = idle_timeout
        self._connector = connector
        self._sessions: dict[int, VoiceSession] = {}
        self._joining: dict[int, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._accepting = True

    def count(self) -> int:
        """Live sessions: servers the bot is in voice in."""
        return sum(1 for session in self._sessions.values() if not session.closed)

    def channel_id(self, guild_id: int) -> int | None:
        """The id of the voice channel the guild's live session speaks in, if any."""
        session = self.get(guild_id)
        channel = session.voice.channel if session is not None else None
        return channel.id if channel is not None else None

    def get(self, guild_id: int) -> VoiceSession | None:
        """The guild's live session, if any (not one that is closing: a kicked bot's next message
        starts a new session instead of being refused by the old one)."""
        session = self._sessions.get(guild_id)
        return session if session is not None and session.accepting else None

    async def join(
        self,
        channel: discord.VoiceChannel | discord.StageChannel,
        announce: discord.abc.Messageable | None = None,
    ) -> VoiceSession:
        """The guild's session, joining ``channel`` first if the bot is not in voice there.

        Args:
            channel: the caller's voice channel.
            announce: where to tell users if the voice connection is lost for good.

        Raises:
            Refusal: shutting down, or the channel could not be joined.
        """
        if not self._accepting:
            raise Refusal("shutting_down")
        guild = channel.guild
        async with self._joining.setdefault(guild.id, asyncio.Lock()):
            session = self.get(guild.id)
            if session is not None:
                return session
            closing = self._sessions.get(guild.id)
            if closing is not None:  # leaving voice: connect again only once that is done
                await closing.wait_closed()
            give_up = functools.partial(self._gave_up, guild, announce)
            try:
                voice = await self._connector(channel, give_up)
            except (TimeoutError, discord.DiscordException, OSError) as exc:
                _log.warning("guild %s: could not join voice channel %s: %r", guild.id, channel.id, exc)
                raise Refusal("voice_connect_failed") from exc
            session = VoiceSession(
                guild.id,
                voice,
                self._engine,
                max_queue=self._max_queue,
                idle_timeout=self._idle_timeout,
                on_closed=self._forget,
            )
            self._sessions[guild.id] = session
            _log.info("guild %s: joined voice channel %s", guild.id, channel.id)
            return session

    async def leave(self, guild_id: int) -> bool:
        """End the guild's session. ``False`` if there was none."""
        session = self.get(guild_id)
        if session is None:
            return False
        await session.close()
        return True

    async def on_voice_state_update(self, member: discord.Member) -> None:
        """Leave when the bot's channel has no humans left, or the bot itself was disconnected."""
        session = self.get(member.guild.id)
        if session is None:
            return
        channel = session.voice.channel
        if member.id == member.guild.me.id and (member.voice is None or member.voice.channel is None):
            if session.voice.recovering or session.ending:  # a reconnect, or our own leave
                return
            _log.info("guild %s: bot was disconnected from voice", member.guild.id)
            await session.close()
        elif channel is not None and not has_humans(channel):
            _log.info("guild %s: no humans left in the voice channel, leaving", member.guild.id)
            await session.close()

    async def close(self, *, grace: float = 5.0) -> None:
        """Shut down: refuse new sessions, let current utterances finish within ``grace`` seconds,
        drop queued speech and leave every voice channel."""
        self._accepting = False
        await asyncio.gather(*(s.close(grace=grace) for s in list(self._sessions.values())))
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _forget(self, session: VoiceSession) -> None:
        if self._sessions.get(session.guild_id) is session:
            del self._sessions[session.guild_id]

    def _gave_up(
        self, guild: discord.Guild, announce: discord.abc.Messageable | None, decision: Decision
    ) -> None:
        """Called from the voice connection when it is abandoned: end the session, tell the channel."""
        session = self.get(guild.id)
        if session is not None:
            self._spawn(session.close())
        if announce is not None and decision.message_key is not None:
            self._spawn(self._announce(announce, text(decision.message_key, guild.preferred_locale)))

    async def _announce(self, channel: discord.abc.Messageable, message: str) -> None:
        try:
            await channel.send(message)
        except discord.DiscordException as exc:
            _log.warning("could not tell the channel that voice was lost: %r", exc)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
