"""``/voice set``: your own voice, speaker, speed, pitch, intonation and volume in this server;
``/voice name``: how the bot reads your name there."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from voicebot.bot import PluginContext, Refusal
from voicebot.bot.interactions import member_of, respond, speaker_autocomplete, voice_autocomplete, voice_info
from voicebot.storage import MAX_NAME_READING_CHARS, StorageLimitError, UserVoice
from voicebot.text import NormalizeOptions, g2p, normalize
from voicebot.voices import InvalidPitch, check_pitch_range, missing_control

__all__ = ["setup"]


def setup(ctx: PluginContext) -> None:
    """Declare ``/voice``."""
    services = ctx.services

    complete_voice = voice_autocomplete(services.engine)
    complete_speaker = speaker_autocomplete(services.engine)

    group = app_commands.Group(
        name="voice", description="自分の声と名前 / Your voice and name", guild_only=True
    )

    @group.command(name="set", description="自分の声・話者・速さ・高さ・抑揚・音量 / Pick your voice")
    @app_commands.describe(
        voice="声",
        speaker="話者(省略: 声の既定)",
        speed="速さ (0.5〜2.0)",
        pitch="高さ、半音 (-12〜+12、0 が標準)",
        intonation="抑揚 (0 平坦〜2、1 が標準)",
        volume="音量 % (25〜200、100 がみんなと同じ)",
    )
    @app_commands.autocomplete(voice=complete_voice, speaker=complete_speaker)
    async def voice(
        interaction: discord.Interaction[Any],
        voice: str,
        speaker: str | None = None,
        speed: app_commands.Range[float, 0.5, 2.0] = 1.0,
        pitch: float = 0.0,
        intonation: float = 1.0,
        volume: app_commands.Range[int, 25, 200] = 100,
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
        choice = UserVoice(info.name, speaker, speed, pitch, intonation, volume / 100)
        await services.db.set_user_voice(member.guild.id, member.id, choice)
        await respond(
            interaction,
            "voice_set",
            voice=info.display_name,
            speaker=speaker or info.speakers[0],
            speed=speed,
            pitch=pitch,
            intonation=intonation,
            volume=volume,
        )

    @group.command(name="name", description="自分の名前の読み方 / How your name is read")
    @app_commands.describe(reading="読み方 (20文字まで、なし: 表示名を読む)")
    async def name(interaction: discord.Interaction[Any], reading: str) -> None:
        member = member_of(interaction)
        chosen = None if reading.strip().lower() in ("none", "なし") else " ".join(reading.split())
        if chosen is not None:
            spoken = normalize(chosen, NormalizeOptions(max_chars=MAX_NAME_READING_CHARS))
            if not spoken.strip() or not g2p(spoken):
                raise Refusal("unreadable_text")
        try:
            await services.db.set_name_reading(member.guild.id, member.id, chosen)
        except StorageLimitError:
            raise Refusal("name_too_long", limit=MAX_NAME_READING_CHARS) from None
        await respond(interaction, "name_set" if chosen else "name_cleared", reading=chosen or "")

    ctx.add_command(group)
