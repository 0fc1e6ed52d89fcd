"""``/voice``: pick your own voice, speaker and speed in this server."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from voicebot.bot import PluginContext
from voicebot.bot.interactions import member_of, respond, speaker_autocomplete, voice_autocomplete, voice_info
from voicebot.storage import UserVoice

__all__ = ["setup"]


def setup(ctx: PluginContext) -> None:
    """Declare ``/voice``."""
    services = ctx.services

    complete_voice = voice_autocomplete(services.engine)
    complete_speaker = speaker_autocomplete(services.engine)

    @app_commands.command(name="voice", description="自分の声・話者・速さを選びます / Pick your voice")
    @app_commands.guild_only()
    @app_commands.describe(voice="声", speaker="話者(省略: 声の既定)", speed="速さ (0.5〜2.0)")
    @app_commands.autocomplete(voice=complete_voice, speaker=complete_speaker)
    async def voice(
        interaction: discord.Interaction[Any],
        voice: str,
        speaker: str | None = None,
        speed: app_commands.Range[float, 0.5, 2.0] = 1.0,
    ) -> None:
        member = member_of(interaction)
        info = voice_info(services.engine, voice, speaker)
        await services.db.set_user_voice(member.guild.id, member.id, UserVoice(info.name, speaker, speed))
        await respond(
            interaction,
            "voice_set",
            voice=info.display_name,
            speaker=speaker or info.speakers[0],
            speed=speed,
        )

    ctx.add_command(voice)
