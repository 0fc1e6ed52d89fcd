"""``/reader on|off``: read aloud every message of the text channel the reader was started in.

The author's name is said when the speaker changes (server setting ``read_names``);
attachments and stickers are read as short words, links by normalization; bot messages,
ignored members and messages starting with a skip prefix are not read.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from voicebot.bot import PluginContext, PluginSettings, Refusal
from voicebot.bot.interactions import member_of, respond

__all__ = ["ReaderSettings", "message_text", "setup"]

_log = logging.getLogger(__name__)


class ReaderSettings(PluginSettings):
    """``VOICEBOT_READER_*``: the words said for what cannot be read."""

    attachment_word: str = "添付ファイル"
    sticker_word: str = "スタンプ"


def message_text(message: discord.Message, settings: ReaderSettings, *, with_name: bool) -> str:
    """What to say for ``message``: optional author name, its text, then its attachments and stickers."""
    words = [settings.attachment_word] * len(message.attachments) + [settings.sticker_word] * len(
        message.stickers
    )
    body = "、".join(part for part in (message.content, *words) if part)
    return f"{message.author.display_name}、{body}" if with_name and body else body


def setup(ctx: PluginContext) -> None:
    """Declare ``/reader`` and the message listener."""
    services = ctx.services
    db = services.db
    settings = ctx.settings(ReaderSettings)
    ctx.require_intent("message_content")
    channels: dict[int, int] = {}  # guild id -> text channel id being read
    last_speaker: dict[int, int] = {}  # guild id -> user id of the last message read

    group = app_commands.Group(
        name="reader", description="チャンネルの読み上げ / Read a channel aloud", guild_only=True
    )

    @group.command(name="on", description="このチャンネルを読み上げます / Read this channel aloud")
    async def on(interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        if member.voice is None or member.voice.channel is None:
            raise Refusal("join_voice_first")
        await interaction.response.defer(ephemeral=True, thinking=True)  # a refusal stays private
        text_channel = interaction.channel
        assert text_channel is not None
        await services.sessions.join(member.voice.channel, text_channel)  # type: ignore[arg-type]
        await db.set_reader_channels(member.guild.id, text_channel.id, member.voice.channel.id)
        channels[member.guild.id] = text_channel.id
        last_speaker.pop(member.guild.id, None)
        await respond(interaction, "reader_on", channel=f"<#{text_channel.id}>")

    @group.command(name="off", description="読み上げを終了します / Stop reading")
    async def off(interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        channels.pop(member.guild.id, None)
        if not await db.clear_reader_channels(member.guild.id):
            raise Refusal("reader_was_off")
        await respond(interaction, "reader_off", ephemeral=False)

    async def on_ready() -> None:
        channels.update({r.guild_id: r.text_channel_id for r in await db.all_reader_channels()})

    async def on_message(message: discord.Message) -> None:
        guild = message.guild
        if guild is None or channels.get(guild.id) != message.channel.id:
            return
        options = await db.get_guild_settings(guild.id)
        author = message.author
        if (author.bot and not options.read_bots) or author.id in options.ignored_users:
            return
        if options.skip_prefixes and message.content.startswith(options.skip_prefixes):
            return
        with_name = options.read_names and last_speaker.get(guild.id) != author.id
        try:
            await services.speak(
                author,  # type: ignore[arg-type]  # a Member in a guild channel
                message_text(message, settings, with_name=with_name),
                announce=message.channel,
                strict_length=False,
            )
        except Refusal as refusal:
            _log.debug("guild %s: not reading a message: %s", guild.id, refusal.key)
            return
        last_speaker[guild.id] = author.id

    async def forget(user_id: int) -> None:
        for guild_id in [g for g, u in last_speaker.items() if u == user_id]:
            del last_speaker[guild_id]

    ctx.add_command(group)
    ctx.add_listener("ready", on_ready)
    ctx.add_listener("message", on_message)
    ctx.on_delete_user_data(forget)
