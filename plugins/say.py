"""``/say text [voice] [speed]``: read a text aloud in the caller's voice channel."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import discord
from discord import app_commands

from voicebot.bot import PluginContext
from voicebot.bot.interactions import (
    member_of,
    respond,
    speech_error_notifier,
    voice_autocomplete,
    voice_info,
)
from voicebot.errors import VoicebotError

__all__ = ["ACKNOWLEDGE_WITHIN_S", "setup"]

ACKNOWLEDGE_WITHIN_S = 1.0
"""Seconds a ``/say`` waits for its first audio before it defers the interaction (Discord wants
an answer within 3 s). Answering takes the bot two HTTP requests; sent at once, a burst of
sixteen servers' answers took the CPU from the workers computing their first audio."""


def setup(ctx: PluginContext) -> None:
    """Declare ``/say``."""
    services = ctx.services

    complete_voice = voice_autocomplete(services.engine)

    @app_commands.command(name="say", description="テキストを読み上げます / Read text aloud")
    @app_commands.guild_only()
    @app_commands.describe(text="読み上げる文章", voice="この一回だけ使う声", speed="速さ (0.5〜2.0)")
    @app_commands.autocomplete(voice=complete_voice)
    async def say(
        interaction: discord.Interaction[Any],
        text: str,
        voice: str | None = None,
        speed: app_commands.Range[float, 0.5, 2.0] | None = None,
    ) -> None:
        member = member_of(interaction)
        if voice is not None:
            voice_info(services.engine, voice)
        # Synthesis starts before Discord hears of the command; the deferral waits for the
        # first audio (see ACKNOWLEDGE_WITHIN_S) unless the message waits behind others. A
        # refusal is answered once the deferral has landed.
        playing = asyncio.Event()
        deferral = asyncio.ensure_future(_defer(interaction, playing))
        notify = speech_error_notifier(interaction)

        async def on_error(error: VoicebotError) -> None:
            playing.set()
            await deferral
            await notify(error)

        try:
            session = await services.speak(
                member,
                text,
                announce=interaction.channel,  # type: ignore[arg-type]
                voice=voice,
                speed=speed,
                on_error=on_error,
                on_playing=playing.set,
            )
            if session.speaking or session.pending > 1:  # it waits its turn: answer now
                playing.set()
        except BaseException:
            playing.set()
            raise
        finally:
            await deferral
        await respond(interaction, "queued")

    ctx.add_command(say)


async def _defer(interaction: discord.Interaction[Any], playing: asyncio.Event) -> None:
    """Defer ``interaction`` once ``playing`` is set, or after :data:`ACKNOWLEDGE_WITHIN_S`."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(playing.wait(), ACKNOWLEDGE_WITHIN_S)
    await interaction.response.defer(ephemeral=True, thinking=True)
