"""What the bot offers its plugins: engine, database, voice sessions, limits, and the speak path.

:meth:`BotServices.speak` is the one way text becomes queued speech, for ``/say`` and the
reader alike: rate limit, length, normalization, the guild dictionary, the user's voice, then
the guild's voice session (joined on first use).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord

from voicebot.bot.errors import Refusal
from voicebot.bot.limits import RateLimiter
from voicebot.bot.voice.manager import SessionManager
from voicebot.bot.voice.session import Utterance, VoiceSession
from voicebot.config import Settings
from voicebot.engine import Engine
from voicebot.errors import VoicebotError
from voicebot.storage import Database
from voicebot.text import NormalizeOptions, apply_dictionary, g2p, normalize

__all__ = ["BotServices", "is_admin"]

_log = logging.getLogger(__name__)

_NAME_CHARS = 16
_MAX_EXPANSION = 4  # dictionaries may make a message at most this many times its limit


def is_admin(member: discord.Member | discord.User, settings: Settings) -> bool:
    """Whether ``member`` may manage voices: Manage Server permission or the configured admin role."""
    permissions = getattr(member, "guild_permissions", None)  # absent on a User (outside a guild)
    if permissions is None:
        return False
    if permissions.manage_guild:
        return True
    return settings.admin_role is not None and any(role.name == settings.admin_role for role in member.roles)


def _resolver(guild: discord.Guild) -> Callable[[str, int], str | None]:
    def resolve(kind: str, ident: int) -> str | None:
        if kind == "user":
            member = guild.get_member(ident)
            return member.display_name if member else None
        if kind == "role":
            role = guild.get_role(ident)
            return role.name if role else None
        channel = guild.get_channel(ident)
        return channel.name if channel else None

    return resolve


@dataclass
class BotServices:
    """The bot's shared services. Plugins reach them as ``ctx.services``."""

    settings: Settings
    engine: Engine
    db: Database
    sessions: SessionManager
    limiter: RateLimiter

    def require_admin(self, member: discord.Member | discord.User) -> None:
        """Raises: Refusal: ``member`` is not an admin (see :func:`is_admin`)."""
        if not is_admin(member, self.settings):
            raise Refusal("admin_only")

    async def prepare(
        self,
        guild: discord.Guild,
        user_id: int,
        raw: str,
        *,
        voice: str | None = None,
        speaker: str | None = None,
        speed: float | None = None,
        name: str | None = None,
    ) -> Utterance:
        """Turn chat text into an :class:`Utterance`: normalize, apply the guild dictionary, and fill
        voice, speaker and speed from the arguments, else the user's choice, else the guild default.
        The user's pitch and intonation apply when the utterance speaks with the voice they chose.
        ``name`` is said first (「name、text」) when the text itself can be read.

        Raises:
            Refusal: nothing is left, or nothing a voice can read.
        """
        stored = await self.db.get_speech_settings(guild.id, user_id)
        guild_settings = stored.guild
        options = NormalizeOptions(
            max_chars=guild_settings.max_chars or self.settings.max_chars,
            emoji="name" if guild_settings.read_emoji else "drop",
            custom_emoji="name" if guild_settings.read_custom_emoji else "drop",
            url_word="URL" if guild_settings.read_urls else "",
        )

        def read(text: str) -> str:
            # Readings may be longer than their words, never without bound: a dictionary of
            # long readings for every kana must not turn a message into minutes of speech.
            read_out = apply_dictionary(apply_dictionary(text, stored.dictionary), stored.bot_dictionary)
            return read_out[: _MAX_EXPANSION * options.max_chars]

        spoken = read(normalize(raw, options, resolve=_resolver(guild)))
        if not spoken.strip():
            raise Refusal("empty_text")
        if not g2p(spoken):  # only scripts or symbols no voice reads (Korean, Arabic, ★)
            raise Refusal("unreadable_text")
        if name:
            spoken = read(normalize(f"{name}、{raw}", options, resolve=_resolver(guild)))
        installed = {info.name for info in self.engine.voices()}
        picked = stored.user_voice
        choice = (
            picked if picked is not None and picked.voice in installed else None
        )  # removed voices fall back
        default = guild_settings.default_voice if guild_settings.default_voice in installed else None
        chosen = voice or (choice.voice if choice else None) or default
        own = choice is not None and chosen == choice.voice
        return Utterance(
            text=spoken,
            voice=chosen,
            speaker=speaker or (choice.speaker if choice else None),
            speed=speed or (picked.speed if picked else 1.0),
            pitch=choice.pitch if own and choice else 0.0,
            intonation=choice.intonation if own and choice else 1.0,
            volume=picked.volume if picked else 1.0,
            user_id=user_id,
        )

    async def spoken_name(self, member: discord.Member) -> str:
        """How ``member``'s name is read in their guild: the reading they set with ``/voice name``,
        else their display name cut to what is worth hearing (a 500-emoji nickname is not read
        out whole; the normalizer reads emoji by name)."""
        reading = await self.db.get_name_reading(member.guild.id, member.id)
        if reading is not None:
            return reading
        name = " ".join(member.display_name.split())
        return name[:_NAME_CHARS]

    async def speak(
        self,
        member: discord.Member,
        raw: str,
        *,
        announce: discord.abc.Messageable | None = None,
        strict_length: bool = True,
        voice: str | None = None,
        speaker: str | None = None,
        speed: float | None = None,
        name: str | None = None,
        on_error: Callable[[VoicebotError], Awaitable[None]] | None = None,
        on_playing: Callable[[], object] | None = None,
    ) -> VoiceSession:
        """Queue ``raw`` to be said by ``member``'s voice in their guild, joining their channel if needed.

        Args:
            member: who asked; their voice channel is joined when the bot is not in voice yet.
            raw: the chat text.
            announce: where to say it if the voice connection is lost for good.
            strict_length: refuse text over ``max_chars`` (``/say``) instead of cutting it (reader).
            voice, speaker, speed: override the user's voice for this one utterance.
            name: said before the text (the reader's author name), only when the text is readable.
            on_error: told when synthesis fails later.
            on_playing: called once its first audio goes to the player.

        Raises:
            Refusal: rate limited, too long, empty, the member is not in voice, or the queue is full.
        """
        guild = member.guild
        if strict_length and len(raw) > self.settings.max_chars:
            raise Refusal("too_long", count=len(raw), limit=self.settings.max_chars)
        wait = self.limiter.hit(member.id)
        if wait:
            raise Refusal("rate_limited", seconds=max(1, round(wait)))
        session = self.sessions.get(guild.id)
        if session is None and (member.voice is None or member.voice.channel is None):
            raise Refusal("join_voice_first")
        utterance = await self.prepare(
            guild, member.id, raw, voice=voice, speaker=speaker, speed=speed, name=name
        )
        utterance = dataclasses.replace(utterance, on_error=on_error, on_playing=on_playing)
        if session is None:
            assert member.voice is not None and member.voice.channel is not None
            session = await self.sessions.join(member.voice.channel, announce)
        session.enqueue(utterance)
        return session

    async def delete_user_data(self, user_id: int) -> None:
        """Delete what the bot core stores about ``user_id`` (plugins have their own hooks)."""
        await self.db.delete_user_data(user_id)
        _log.info("deleted stored data of user %s", user_id)
