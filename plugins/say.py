"""``/say text [voice] [speed]``: read a text aloud in the caller's voice channel."""

from __future__ import annotations

import asyncio
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

__all__ = ["setup"]


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
        # Synthesis starts while the deferral travels to Discord and back: first audio does not
        # wait for that round trip. A refusal is answered once the deferral has landed.
        deferral = asyncio.ensure_future(interaction.response.defer(ephemeral=True, thinking=True))
        try:
            await services.speak(
                member,
                text,
                announce=interaction.channel,  # type: ignore[arg-type]
                voice=voice,
                speed=speed,
                on_error=speech_error_notifier(interaction),
            )
        finally:
            await deferral
        await respond(interaction, "queued")

    ctx.add_command(say)
