"""Stand-ins for Discord's side only: guilds, members, channels, interactions, the voice client.

Everything of voicebot under test is real (engine with the Open JTalk voice, audio encoder,
database, plugins); these objects play the part of discord.py's gateway objects.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord

from voicebot.audio import SpeechSource

__all__ = [
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeTextChannel",
    "FakeVoiceChannel",
    "FakeVoiceClient",
]

_ids = itertools.count(1000)


@dataclass
class FakeRole:
    name: str
    id: int = field(default_factory=lambda: next(_ids))


@dataclass
class FakeVoiceState:
    channel: Any


class FakeGuild:
    def __init__(self, preferred_locale: discord.Locale = discord.Locale.japanese) -> None:
        self.id = next(_ids)
        self.preferred_locale = preferred_locale
        self.members: dict[int, FakeMember] = {}
        self.roles: dict[str, FakeRole] = {}
        self.channels: dict[int, Any] = {}
        self.me = FakeMember(self, "voicebot", bot=True)
        self.voice_requests: list[Any] = []

    def role(self, name: str) -> FakeRole:
        """The guild's role ``name``, created on first use."""
        return self.roles.setdefault(name, FakeRole(name))

    def get_member(self, ident: int) -> FakeMember | None:
        return self.members.get(ident)

    def get_role(self, ident: int) -> FakeRole | None:
        return next((role for role in self.roles.values() if role.id == ident), None)

    def get_channel(self, ident: int) -> Any:
        return self.channels.get(ident)

    async def change_voice_state(
        self, *, channel: Any, self_mute: bool = False, self_deaf: bool = False
    ) -> None:
        """discord.py's voice join/leave request (recorded in ``voice_requests``); nothing answers it."""
        self.voice_requests.append(channel)


class FakeMember:
    def __init__(
        self,
        guild: FakeGuild,
        name: str,
        *,
        bot: bool = False,
        manage_guild: bool = False,
        roles: tuple[str, ...] = (),
    ) -> None:
        self.id = next(_ids)
        self.guild = guild
        self.display_name = name
        self.bot = bot
        self.guild_permissions = discord.Permissions(manage_guild=manage_guild)
        self.roles = [guild.role(r) for r in roles]
        self.voice: FakeVoiceState | None = None
        guild.members[self.id] = self

    def join(self, channel: FakeVoiceChannel | None) -> None:
        if self.voice is not None:
            self.voice.channel.members.remove(self)
        self.voice = FakeVoiceState(channel) if channel is not None else None
        if channel is not None:
            channel.members.append(self)


class FakeVoiceChannel:
    def __init__(self, guild: FakeGuild) -> None:
        self.id = next(_ids)
        self.guild = guild
        self.name = f"voice-{self.id}"
        guild.channels[self.id] = self
        self.members: list[FakeMember] = []
        self.mention = f"<#{self.id}>"

    def _get_voice_client_key(self) -> tuple[int, str]:
        return self.guild.id, "guild_id"


class FakeTextChannel:
    def __init__(self, guild: FakeGuild) -> None:
        self.id = next(_ids)
        self.guild = guild
        self.sent: list[str] = []
        self.name = f"text-{self.id}"
        guild.channels[self.id] = self

    async def send(self, content: str) -> None:
        self.sent.append(content)


@dataclass
class Reply:
    content: str
    ephemeral: bool
    extra: dict[str, Any] = field(default_factory=dict)  # view, file


class FakeResponse:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.deferred = False

    def is_done(self) -> bool:
        return self.deferred or bool(self.replies)

    async def send_message(self, content: str, *, ephemeral: bool = False, **extra: Any) -> None:
        assert not self.is_done(), "an interaction can be answered only once"
        self.replies.append(Reply(content, ephemeral, extra))

    async def edit_message(self, *, content: str, **extra: Any) -> None:
        """A button's answer: the message it sits on is replaced."""
        self.replies.append(Reply(content, True, extra))

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        assert not self.is_done()
        self.deferred = True


class FakeFollowup:
    def __init__(self, response: FakeResponse) -> None:
        self._response = response

    async def send(self, content: str, *, ephemeral: bool = False, **extra: Any) -> None:
        assert self._response.is_done(), "a follow-up needs an answered or deferred interaction"
        self._response.replies.append(Reply(content, ephemeral, extra))


class FakeInteraction:
    def __init__(
        self,
        user: FakeMember,
        channel: FakeTextChannel | None = None,
        locale: discord.Locale = discord.Locale.japanese,
    ) -> None:
        self.user = user
        self.guild = user.guild
        self.channel = channel or FakeTextChannel(user.guild)
        self.locale = locale
        self.response = FakeResponse()
        self.followup = FakeFollowup(self.response)
        self.namespace = discord.app_commands.Namespace.__new__(discord.app_commands.Namespace)
        self.command: Any = None
        self.client: Any = SimpleNamespace(
            latency=0.042, guilds=[user.guild]
        )  # the bot, as discord.py has it

    @property
    def replies(self) -> list[Reply]:
        return self.response.replies


@dataclass
class FakeMessage:
    guild: FakeGuild
    channel: FakeTextChannel
    author: FakeMember
    content: str
    attachments: list[object] = field(default_factory=list)
    stickers: list[object] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)

    async def add_reaction(self, emoji: str) -> None:
        """Record the reaction, as Discord would show it under the message."""
        self.reactions.append(emoji)


class FakeVoiceClient:
    """Plays sources like discord.py's player thread (faster than real time), keeping the packets.

    Set ``recovering`` to play a voice reconnect in progress (``play`` then fails, as
    discord.py's does while not connected), and ``leave_delay`` to the seconds a leave takes
    to be confirmed.
    """

    def __init__(self, channel: FakeVoiceChannel, frame_delay: float = 0.005) -> None:
        self.channel = channel
        self.frame_delay = frame_delay  # discord.py sends one packet per 0.02 s
        self.played: list[list[bytes]] = []
        self.started_at: list[float] = []  # time.monotonic() of each play()
        self.disconnected = False
        self.disconnects = 0
        self.leave_delay = 0.0
        self._recovered = asyncio.Event()
        self._recovered.set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def play(self, source: SpeechSource, *, after: Any) -> None:
        if not self.is_connected():
            raise discord.ClientException("Not connected to voice.")
        assert source.is_opus()
        assert self._thread is None or not self._thread.is_alive(), "already playing"
        packets: list[bytes] = []
        self.played.append(packets)
        self.started_at.append(time.monotonic())
        self._stop.clear()

        def run() -> None:
            error = None
            try:
                while not self._stop.is_set():
                    packet = source.read()
                    if not packet:
                        break
                    packets.append(packet)
                    time.sleep(self.frame_delay)
            except Exception as exc:
                error = exc
            finally:
                source.cleanup()
                after(error)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def recovering(self) -> bool:
        return not self._recovered.is_set()

    @recovering.setter
    def recovering(self, value: bool) -> None:
        if value:
            self._recovered.clear()
        else:
            self._recovered.set()

    async def wait_recovered(self) -> None:
        await self._recovered.wait()

    def is_connected(self) -> bool:
        return not self.disconnected and not self.recovering

    async def disconnect(self, *, force: bool = False) -> None:
        self.disconnects += 1
        self.stop()
        await asyncio.sleep(self.leave_delay)
        self.disconnected = True
