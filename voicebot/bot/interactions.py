"""Helpers for slash-command handlers: replies, the calling member, voice autocomplete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from voicebot.bot.errors import Refusal
from voicebot.bot.messages import text
from voicebot.engine import Engine, EngineBusy, UnknownVoice, VoiceInfo
from voicebot.errors import VoicebotError

__all__ = [
    "Autocomplete",
    "member_of",
    "reply",
    "respond",
    "speaker_autocomplete",
    "speech_error_notifier",
    "voice_autocomplete",
    "voice_info",
]

MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices


async def reply(
    interaction: discord.Interaction[Any], message: str, *, ephemeral: bool = True, **extra: Any
) -> None:
    """Answer an interaction, as a follow-up if it was already answered or deferred; ``extra``
    (``view``, ``file``) goes along to discord.py."""
    if interaction.response.is_done():
        await interaction.followup.send(message, ephemeral=ephemeral, **extra)
    else:
        await interaction.response.send_message(message, ephemeral=ephemeral, **extra)


async def respond(
    interaction: discord.Interaction[Any], key: str, *, ephemeral: bool = True, **fields: object
) -> None:
    """Reply with message ``key`` in the user's language."""
    await reply(interaction, text(key, interaction.locale, **fields), ephemeral=ephemeral)


def member_of(interaction: discord.Interaction[Any]) -> discord.Member:
    """The calling guild member.

    Raises:
        Refusal: the command was used outside a server.
    """
    if interaction.guild is None:
        raise Refusal("not_in_guild")
    return interaction.user  # type: ignore[return-value]  # a Member inside a guild


def voice_info(engine: Engine, name: str, speaker: str | None = None) -> VoiceInfo:
    """The installed voice ``name``, checking ``speaker`` when given.

    Raises:
        Refusal: no such voice, or the voice has no such speaker.
    """
    for info in engine.voices():
        if info.name == name:
            if speaker is not None and speaker not in info.speakers:
                raise Refusal("unknown_speaker", voice=name, speaker=speaker)
            return info
    raise Refusal("unknown_voice", name=name)


Autocomplete = Callable[[discord.Interaction[Any], str], Awaitable[list[app_commands.Choice[str]]]]


def voice_autocomplete(engine: Engine) -> Autocomplete:
    """Autocomplete of a voice option: installed voices whose name or display name contains the input."""

    async def complete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        needle = current.casefold()
        return [
            app_commands.Choice(name=f"{info.display_name} ({info.name})"[:100], value=info.name)
            for info in engine.voices()
            if needle in info.name.casefold() or needle in info.display_name.casefold()
        ][:MAX_CHOICES]

    return complete


def speaker_autocomplete(engine: Engine) -> Autocomplete:
    """Autocomplete of a speaker option: speakers of the voice chosen in the ``voice`` option
    (of every voice while none is chosen)."""

    async def complete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        voice = getattr(interaction.namespace, "voice", None)
        needle = current.casefold()
        names: dict[str, None] = {}
        for info in engine.voices():
            if voice in (None, "", info.name):
                names.update(dict.fromkeys(info.speakers))
        return [app_commands.Choice(name=s[:100], value=s) for s in names if needle in s.casefold()][
            :MAX_CHOICES
        ]

    return complete


def speech_error_notifier(
    interaction: discord.Interaction[Any],
) -> Callable[[VoicebotError], Awaitable[None]]:
    """A callback telling the requester, ephemerally, that their queued speech failed."""

    async def notify(error: VoicebotError) -> None:
        if isinstance(error, EngineBusy):
            key = "engine_busy"
        elif isinstance(error, UnknownVoice):
            key = "voice_unavailable"
        else:
            key = "synthesis_failed"
        await interaction.followup.send(text(key, interaction.locale, reason=str(error)), ephemeral=True)

    return notify
