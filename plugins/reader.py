"""``/reader on|off``: read aloud every message of the text channel the reader was started in.

The author's name is said when the speaker changes (``/reader names on|off``); attachments are
read by kind and count (「画像2枚」), stickers by name, polls by their question, forwarded
messages by what they carry, links by normalization; edited messages are not read again;
bot messages, members an admin excluded (``/reader ignore`` / ``/reader unignore``) and
messages starting with a skip prefix are not read. Messages of one server are handled one at
a time, in the order they arrived, so the decision to say a name and the queuing of the
message cannot interleave.

A message that is refused is not dropped in silence: it gets a reaction that says why
(:data:`REFUSAL_REACTIONS`), once per burst of one kind from one member.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

import discord
from discord import app_commands

from voicebot.bot import PluginContext, PluginSettings, Refusal
from voicebot.bot.interactions import member_of, respond
from voicebot.storage import MAX_AUTOJOIN_CHANNELS, MAX_IGNORED_USERS, GuildSettings, StorageLimitError

__all__ = ["REFUSAL_REACTIONS", "ReaderSettings", "message_text", "setup"]

_log = logging.getLogger(__name__)

# What the reader puts on a message it did not read, by refusal; any other refusal gets ⚠️.
# A message with nothing in it (an embed only) is simply not read.
REFUSAL_REACTIONS: dict[str, str] = {
    "rate_limited": "⏳",
    "queue_full": "🈵",
    "engine_busy": "🈵",
    "unreadable_text": "🔇",
}
_OTHER_REFUSAL = "⚠️"
_SILENT_REFUSALS = frozenset({"empty_text"})
_BURST_SECONDS = 30.0  # one reaction per member and kind in this long: a burst is not flooded


class ReaderSettings(PluginSettings):
    """``VOICEBOT_READER_*``: the words said for what a message holds besides its text."""

    attachment_word: str = "添付ファイル"
    image_word: str = "画像"
    video_word: str = "動画"
    audio_word: str = "音声"
    sticker_word: str = "スタンプ"
    poll_word: str = "投票"


def _attachment_words(attachments: Sequence[Any], settings: ReaderSettings) -> list[str]:
    """「画像2枚」「動画」「添付ファイル3件」: one phrase per kind, in the order kinds first appear."""
    kinds = {"image": (settings.image_word, "枚"), "video": (settings.video_word, "本")}
    kinds["audio"] = (settings.audio_word, "件")
    counts: dict[tuple[str, str], int] = {}
    for attachment in attachments:
        content_type = getattr(attachment, "content_type", None) or ""
        kind = kinds.get(content_type.split("/", 1)[0], (settings.attachment_word, "件"))
        counts[kind] = counts.get(kind, 0) + 1
    return [word if n == 1 else f"{word}{n}{counter}" for (word, counter), n in counts.items()]


def _sticker_words(stickers: Sequence[Any], settings: ReaderSettings) -> list[str]:
    """「スタンプ、name」 for each sticker (its name when it has one)."""
    return [
        f"{settings.sticker_word}、{name}" if (name := getattr(s, "name", None)) else settings.sticker_word
        for s in stickers
    ]


def message_text(message: discord.Message, settings: ReaderSettings, attachments_too: bool = True) -> str:
    """What to say for ``message``: its text (a forwarded message's text when it is a
    forward), its attachments by kind and count (unless ``attachments_too`` is off), its
    stickers by name and a poll's question."""
    content, attachments, stickers = message.content, list(message.attachments), list(message.stickers)
    for snapshot in getattr(message, "message_snapshots", None) or ():  # a forward: read what it carries
        content = content or snapshot.content
        attachments += snapshot.attachments
        stickers += snapshot.stickers
    poll = getattr(message, "poll", None)
    question = f"{settings.poll_word}、{poll.question}" if poll is not None and str(poll.question) else ""
    shown = attachments if attachments_too else []
    words = [*_attachment_words(shown, settings), *_sticker_words(stickers, settings)]
    return "、".join(part for part in (content, question, *words) if part)


def setup(ctx: PluginContext) -> None:
    """Declare ``/reader`` and the message listener."""
    services = ctx.services
    db = services.db
    settings = ctx.settings(ReaderSettings)
    ctx.require_intent("message_content")
    channels: dict[int, int] = {}  # guild id -> text channel id being read
    last_speaker: dict[int, int] = {}  # guild id -> user id of the last message read
    reading: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)  # one message at a time per guild
    editing = asyncio.Lock()  # the ignore list is read, changed and written back
    noted: dict[tuple[int, int, str], float] = {}  # (guild, member, reaction) -> when last put
    last_read_at: dict[int, float] = {}  # guild id -> time.monotonic() of the last message read

    group = app_commands.Group(
        name="reader", description="チャンネルの読み上げ / Read a channel aloud", guild_only=True
    )

    async def start_reading(
        voice_channel: discord.VoiceChannel | discord.StageChannel, text_channel: discord.TextChannel
    ) -> None:
        """Join ``voice_channel`` (if not in voice yet) and read ``text_channel`` there, remembered
        across restarts.

        Raises:
            Refusal: the voice channel could not be joined.
        """
        guild_id = voice_channel.guild.id
        await services.sessions.join(voice_channel, text_channel)
        await db.set_reader_channels(guild_id, text_channel.id, voice_channel.id)
        channels[guild_id] = text_channel.id
        last_speaker.pop(guild_id, None)

    @group.command(name="on", description="このチャンネルを読み上げます / Read this channel aloud")
    async def on(interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        if member.voice is None or member.voice.channel is None:
            raise Refusal("join_voice_first")
        await interaction.response.defer(ephemeral=True, thinking=True)  # a refusal stays private
        text_channel = interaction.channel
        assert text_channel is not None
        await start_reading(member.voice.channel, text_channel)  # type: ignore[arg-type]
        await respond(interaction, "reader_on", channel=f"<#{text_channel.id}>")

    @group.command(name="off", description="読み上げを終了します / Stop reading")
    async def off(interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        channels.pop(member.guild.id, None)
        if not await db.clear_reader_channels(member.guild.id):
            raise Refusal("reader_was_off")
        await respond(interaction, "reader_off", ephemeral=False)

    @group.command(name="names", description="話者の名前を読むか(管理者) / Read author names (admins)")
    @app_commands.describe(state="on: 話す人が変わったら名前を読む / off: 読まない")
    async def names(interaction: discord.Interaction[Any], state: Literal["on", "off"]) -> None:
        member = member_of(interaction)
        services.require_admin(member)
        await db.update_guild_settings(member.guild.id, read_names=state == "on")
        await respond(interaction, f"reader_names_{state}")

    @group.command(name="ignore", description="この人を読み上げない(管理者) / Do not read a member (admins)")
    @app_commands.describe(user="読み上げないメンバー / Member not to read")
    async def ignore(interaction: discord.Interaction[Any], user: discord.Member) -> None:
        member = member_of(interaction)
        services.require_admin(member)
        async with editing:
            ignored = (await db.get_guild_settings(member.guild.id)).ignored_users
            try:
                await db.update_guild_settings(member.guild.id, ignored_users=ignored | {user.id})
            except StorageLimitError:
                raise Refusal("reader_ignore_full", limit=MAX_IGNORED_USERS) from None
        await respond(interaction, "reader_ignored", user=user.display_name)

    @group.command(name="unignore", description="また読み上げる(管理者) / Read a member again (admins)")
    @app_commands.describe(user="また読み上げるメンバー / Member to read again")
    async def unignore(interaction: discord.Interaction[Any], user: discord.Member) -> None:
        member = member_of(interaction)
        services.require_admin(member)
        async with editing:
            ignored = (await db.get_guild_settings(member.guild.id)).ignored_users
            if user.id not in ignored:
                raise Refusal("reader_not_ignored", user=user.display_name)
            await db.update_guild_settings(member.guild.id, ignored_users=ignored - {user.id})
        await respond(interaction, "reader_unignored", user=user.display_name)

    async def on_ready() -> None:
        channels.update({r.guild_id: r.text_channel_id for r in await db.all_reader_channels()})

    def read_guild(message: discord.Message) -> int | None:
        """The id of the message's guild if the message is in the channel read there, or in the
        chat of the voice channel the bot is in (text-in-voice)."""
        guild = message.guild
        if guild is None or guild.id not in channels:
            return None
        here = message.channel.id
        return guild.id if here in (channels[guild.id], services.sessions.channel_id(guild.id)) else None

    async def on_message(message: discord.Message) -> None:
        guild_id = read_guild(message)
        if guild_id is None:
            return
        async with reading[guild_id]:  # asyncio locks are fair: messages keep their order
            if read_guild(message) is not None:  # /reader off may have come while this one waited
                await read(guild_id, message)

    async def on_voice_state_update(
        member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Auto-join: a member entering a paired voice channel brings the bot and its reader."""
        entered = after.channel
        if member.bot or entered is None or before.channel == entered:
            return
        guild = member.guild
        if services.sessions.get(guild.id) is not None:
            return
        text_id = (await db.list_autojoin(guild.id)).get(entered.id)
        text_channel = guild.get_channel(text_id) if text_id is not None else None
        if text_channel is None:  # not paired, or the text channel was deleted
            return
        try:
            await start_reading(entered, text_channel)  # type: ignore[arg-type]
        except Refusal as refusal:
            _log.warning("guild %s: auto-join of %s failed: %s", guild.id, entered.id, refusal.key)

    autojoin = app_commands.Group(
        name="autojoin", description="自動参加(管理者) / Join voice by itself (admins)", guild_only=True
    )

    @autojoin.command(name="add", description="VCに人が来たら参加して読む / Join when someone enters")
    @app_commands.describe(voice="ボイスチャンネル", text="読むテキストチャンネル(省略: ここ)")
    async def autojoin_add(
        interaction: discord.Interaction[Any],
        voice: discord.VoiceChannel,
        text: discord.TextChannel | None = None,
    ) -> None:
        member = member_of(interaction)
        services.require_admin(member)
        target = text or interaction.channel
        assert target is not None
        try:
            await db.set_autojoin(member.guild.id, voice.id, target.id)
        except StorageLimitError:
            raise Refusal("autojoin_full", limit=MAX_AUTOJOIN_CHANNELS) from None
        await respond(interaction, "autojoin_added", voice=f"<#{voice.id}>", text=f"<#{target.id}>")

    @autojoin.command(name="remove", description="自動参加をやめる / Stop joining by itself")
    async def autojoin_remove(interaction: discord.Interaction[Any], voice: discord.VoiceChannel) -> None:
        member = member_of(interaction)
        services.require_admin(member)
        if not await db.remove_autojoin(member.guild.id, voice.id):
            raise Refusal("autojoin_missing", voice=f"<#{voice.id}>")
        await respond(interaction, "autojoin_removed", voice=f"<#{voice.id}>")

    @autojoin.command(name="list", description="自動参加の一覧 / Auto-join channels")
    async def autojoin_list(interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        pairs = await db.list_autojoin(member.guild.id)
        lines = "\n".join(f"<#{voice}> → <#{text}>" for voice, text in pairs.items())
        await respond(interaction, "autojoin_list", pairs=lines or "-", limit=MAX_AUTOJOIN_CHANNELS)

    def may_be_read(options: GuildSettings, guild_id: int, author: discord.Member) -> bool:
        """The member-level settings: the required role (ignored once the role is deleted) and
        whether only members in the bot's voice channel are read."""
        role = options.required_role
        role_counts = role is not None and author.guild.get_role(role) is not None
        if role_counts and not any(r.id == role for r in author.roles):
            return False
        if options.voice_members_only:
            here = services.sessions.channel_id(guild_id)
            there = author.voice.channel if author.voice is not None else None
            return here is not None and there is not None and there.id == here
        return True

    async def read(guild_id: int, message: discord.Message) -> None:
        options = await db.get_guild_settings(guild_id)
        if message.channel.id != channels.get(guild_id) and not options.text_in_voice:
            return  # the voice channel's own chat, switched off
        author = message.author
        if (author.bot and not options.read_bots) or author.id in options.ignored_users:
            return
        if getattr(author, "guild", None) is None:  # a webhook or a user no longer a member: no voice
            return
        if options.skip_prefixes and message.content.startswith(options.skip_prefixes):
            return
        if not may_be_read(options, guild_id, author):  # type: ignore[arg-type]  # a Member here
            return
        now = time.monotonic()
        quiet = now - last_read_at.get(guild_id, -math.inf)
        repeat = options.name_repeat_seconds and quiet >= options.name_repeat_seconds
        with_name = options.read_names and (last_speaker.get(guild_id) != author.id or bool(repeat))
        body = message_text(message, settings, options.read_attachments)
        replied = getattr(getattr(message, "reference", None), "resolved", None)  # None when deleted
        target = getattr(replied, "author", None)
        if options.read_replies and target is not None and getattr(target, "guild", None) is not None:
            whom = f"{await services.spoken_name(target)}{options.name_suffix or 'さん'}"
            body = f"{whom}への返信、{body}"
        try:
            await services.speak(
                author,  # type: ignore[arg-type]  # a Member in a guild channel
                body,
                name=f"{await services.spoken_name(author)}{options.name_suffix}" if with_name else None,  # type: ignore[arg-type]
                announce=message.channel,
                strict_length=False,
            )
        except Refusal as refusal:
            _log.debug("guild %s: not reading a message: %s", guild_id, refusal.key)
            await note_refusal(guild_id, message, refusal.key)
            return
        last_speaker[guild_id] = author.id
        last_read_at[guild_id] = now

    async def note_refusal(guild_id: int, message: discord.Message, key: str) -> None:
        """React to ``message`` with why it was not read, unless this member had that reaction
        within the last burst."""
        if key in _SILENT_REFUSALS:
            return
        emoji = REFUSAL_REACTIONS.get(key, _OTHER_REFUSAL)
        now = time.monotonic()
        if len(noted) > 10_000:  # bounded: forget bursts that are over
            for old in [k for k, at in noted.items() if now - at >= _BURST_SECONDS]:
                del noted[old]
        burst = (guild_id, message.author.id, emoji)
        if now - noted.get(burst, -_BURST_SECONDS) < _BURST_SECONDS:
            return
        noted[burst] = now
        try:
            await message.add_reaction(emoji)
        except discord.HTTPException as exc:  # no Add Reactions permission, message deleted
            _log.debug("guild %s: cannot react to a message: %s", guild_id, exc)

    async def forget(user_id: int) -> None:
        for guild_id in [g for g, u in last_speaker.items() if u == user_id]:
            del last_speaker[guild_id]

    ctx.add_command(group)
    ctx.add_command(autojoin)
    ctx.add_listener("ready", on_ready)
    ctx.add_listener("voice_state_update", on_voice_state_update)
    ctx.add_listener("message", on_message)
    ctx.on_delete_user_data(forget)
