"""``/join``, ``/leave``, ``/skip`` and ``/stop``: control the guild's voice session."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from voicebot.bot import PluginContext, Refusal
from voicebot.bot.interactions import member_of, respond

__all__ = ["setup"]


def setup(ctx: PluginContext) -> None:
    """Declare the playback commands."""
    sessions = ctx.services.sessions

    @app_commands.command(name="join", description="ボイスチャンネルに参加 / Join voice")
    @app_commands.guild_only()
    async def join(interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        if member.voice is None or member.voice.channel is None:
            raise Refusal("join_voice_first")
        await interaction.response.defer(ephemeral=True, thinking=True)
        session = await sessions.join(member.voice.channel, interaction.channel)  # type: ignore[arg-type]
        await respond(interaction, "joined", channel=session.voice.channel.mention)

    @app_commands.command(name="leave", description="ボイスチャンネルから退出 / Leave voice")
    @app_commands.guild_only()
    async def leave(interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        if not await sessions.leave(member.guild.id):
            raise Refusal("not_connected")
        await respond(interaction, "left")

    @app_commands.command(name="skip", description="読み上げ中の文をとばす / Skip")
    @app_commands.guild_only()
    async def skip(interaction: discord.Interaction[Any]) -> None:
        session = sessions.get(member_of(interaction).guild.id)
        if session is None:
            raise Refusal("not_connected")
        await respond(interaction, "skipped" if session.skip() else "nothing_playing")

    @app_commands.command(name="stop", description="読み上げ停止・待ち行列を空に / Stop, clear queue")
    @app_commands.guild_only()
    async def stop(interaction: discord.Interaction[Any]) -> None:
        session = sessions.get(member_of(interaction).guild.id)
        if session is None:
            raise Refusal("not_connected")
        await respond(interaction, "stopped", count=session.stop())

    for command in (join, leave, skip, stop):
        ctx.add_command(command)
