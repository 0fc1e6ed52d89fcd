"""``/voice``: pick your own voice, speaker, speed, pitch and intonation in this server."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from voicebot.bot import PluginContext, Refusal
from voicebot.bot.interactions import member_of, respond, speaker_autocomplete, voice_autocomplete, voice_info
from voicebot.storage import UserVoice
from voicebot.voices import InvalidPitch, check_pitch_range, missing_control

__all__ = ["setup"]


def setup(ctx: PluginContext) -> None:
    """Declare ``/voice``."""
    services = ctx.services

    complete_voice = voice_autocomplete(services.engine)
    complete_speaker = speaker_autocomplete(services.engine)

    @app_commands.command(
        name="voice", description="自分の声・話者・速さ・高さ・抑揚を選びます / Pick your voice"
    )
    @app_commands.guild_only()
    @app_commands.describe(
        voice="声",
        speaker="話者(省略: 声の既定)",
        speed="速さ (0.5〜2.0)",
        pitch="高さ、半音 (-12〜+12、0 が標準)",
        intonation="抑揚 (0 平坦〜2、1 が標準)",
    )
    @app_commands.autocomplete(voice=complete_voice, speaker=complete_speaker)
    async def voice(
        interaction: discord.Interaction[Any],
        voice: str,
        speaker: str | None = None,
        speed: app_commands.Range[float, 0.5, 2.0] = 1.0,
        pitch: float = 0.0,
        intonation: float = 1.0,
    ) -> None:
        member = member_of(interaction)
        info = voice_info(services.engine, voice, speaker)
        try:
            check_pitch_range(pitch, intonation)
        except InvalidPitch:
            raise Refusal("bad_pitch") from None
        missing = missing_control(info.controls, pitch, intonation)
        if missing is not None:
            raise Refusal(f"voice_lacks_{missing}", voice=info.display_name)
        choice = UserVoice(info.name, speaker, speed, pitch, intonation)
        await services.db.set_user_voice(member.guild.id, member.id, choice)
        await respond(
            interaction,
            "voice_set",
            voice=info.display_name,
            speaker=speaker or info.speakers[0],
            speed=speed,
            pitch=pitch,
            intonation=intonation,
        )

    ctx.add_command(voice)
