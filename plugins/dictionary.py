"""``/dict add|remove|list|export|import``: this server's reading dictionary, applied before
the text is read (then the bot-wide dictionary its owner keeps with ``voicebot dict``)."""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands

from voicebot.bot import PluginContext, Refusal
from voicebot.bot.interactions import member_of, reply, respond
from voicebot.bot.messages import text
from voicebot.storage import BOT_DICTIONARY, MAX_PATTERN_CHARS, MAX_READING_CHARS, StorageLimitError
from voicebot.text import DictEntry
from voicebot.text.dictionary_file import (
    MAX_FILE_BYTES,
    DictionaryFileError,
    dump_dictionary,
    parse_dictionary,
)

__all__ = ["setup"]

LIST_LIMIT = 1800  # characters of one Discord message (2000) minus room for the heading
_SKIPPED_SHOWN = 10


def pages(entries: list[DictEntry]) -> list[str]:
    """The entries as ``word → reading`` lines, in pages that each fit one message."""
    result, body = [], ""
    for entry in entries:
        line = f"{entry.pattern} → {entry.reading}\n"
        if body and len(body) + len(line) > LIST_LIMIT:
            result.append(body)
            body = ""
        body += line
    return [*result, body] if body else result


class _Pages(discord.ui.View):
    """◀ ▶ buttons that page through a long dictionary listing."""

    def __init__(self, bodies: list[str], heading: Any) -> None:
        super().__init__(timeout=300)
        self.bodies, self.heading, self.page = bodies, heading, 0

    def content(self) -> str:
        return f"{self.heading(self.page + 1, len(self.bodies))}\n{self.bodies[self.page]}"

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = (self.page + step) % len(self.bodies)
        await interaction.response.edit_message(content=self.content(), view=self)

    @discord.ui.button(label="◀")
    async def previous(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="▶")
    async def next(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Any]) -> None:
        await self._turn(interaction, 1)


def setup(ctx: PluginContext) -> None:
    """Declare the ``/dict`` group."""
    db = ctx.services.db
    group = app_commands.Group(name="dict", description="読み方辞書 / Reading dictionary", guild_only=True)

    async def add_entry(guild_id: int, word: str, reading: str) -> tuple[str, str]:
        """Store one word (a guild's, or the bot-wide one); returns it and its reading as stored."""
        word, reading = word.strip(), reading.strip()
        if not (0 < len(word) <= MAX_PATTERN_CHARS and 0 < len(reading) <= MAX_READING_CHARS):
            raise Refusal("dict_invalid", pattern_limit=MAX_PATTERN_CHARS, reading_limit=MAX_READING_CHARS)
        try:
            await db.add_dictionary_entry(guild_id, word, reading)
        except StorageLimitError:  # lengths were checked above: the dictionary is full
            remove = "/botdict remove" if guild_id == BOT_DICTIONARY else "/dict remove"
            raise Refusal("dict_full", limit=db.max_dictionary_entries, command=remove) from None
        return word, reading

    @group.command(name="add", description="単語の読み方を登録します / Add a word and its reading")
    @app_commands.describe(word="単語", reading="読み方(ひらがな・カタカナ)")
    async def add(interaction: discord.Interaction[Any], word: str, reading: str) -> None:
        member = member_of(interaction)
        word, reading = await add_entry(member.guild.id, word, reading)
        await respond(interaction, "dict_added", ephemeral=False, pattern=word, reading=reading)

    @group.command(name="remove", description="単語を辞書から削除します / Remove a word")
    @app_commands.describe(word="削除する単語")
    async def remove(interaction: discord.Interaction[Any], word: str) -> None:
        member = member_of(interaction)
        if not await db.remove_dictionary_entry(member.guild.id, word):
            raise Refusal("dict_missing", pattern=word)
        await respond(interaction, "dict_removed", ephemeral=False, pattern=word)

    async def entries_or_empty(interaction: discord.Interaction[Any]) -> list[DictEntry]:
        """The caller's server's dictionary; when it is empty, the caller has been told so."""
        entries = await db.list_dictionary(member_of(interaction).guild.id)
        if not entries:
            await respond(interaction, "dict_empty")
        return entries

    @group.command(name="list", description="辞書の一覧 / List the dictionary")
    async def list_(interaction: discord.Interaction[Any]) -> None:
        entries = await entries_or_empty(interaction)
        if not entries:
            return

        def heading(page: int, count: int) -> str:
            return text("dict_heading", interaction.locale, count=len(entries), page=page, pages=count)

        view = _Pages(pages(entries), heading)
        extra = {"view": view} if len(view.bodies) > 1 else {}
        await reply(interaction, view.content(), **extra)

    @group.command(name="export", description="辞書をファイルに書き出す / Export the dictionary")
    async def export(interaction: discord.Interaction[Any]) -> None:
        entries = await entries_or_empty(interaction)
        if not entries:
            return
        file = discord.File(io.BytesIO(dump_dictionary(entries)), filename="dictionary.json")
        await reply(interaction, text("dict_exported", interaction.locale, count=len(entries)), file=file)

    @group.command(name="import", description="ファイルから読み込む(管理者) / Import a file (admins)")
    @app_commands.describe(file="JSON (/dict export の形式) か CSV (単語,読み)")
    async def import_(interaction: discord.Interaction[Any], file: discord.Attachment) -> None:
        member = member_of(interaction)
        ctx.services.require_admin(member)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            if file.size > MAX_FILE_BYTES:
                raise DictionaryFileError(f"the file is over {MAX_FILE_BYTES // 1024} KB")
            parsed = parse_dictionary(
                await file.read(), file.filename, (MAX_PATTERN_CHARS, MAX_READING_CHARS)
            )
            added, replaced = await db.import_dictionary(member.guild.id, parsed.entries)
        except (DictionaryFileError, StorageLimitError) as exc:
            raise Refusal("dict_import_refused", reason=str(exc)) from None
        skipped = ""
        if parsed.skipped:
            shown = "\n".join(parsed.skipped[:_SKIPPED_SHOWN]) + (
                "\n…" if len(parsed.skipped) > _SKIPPED_SHOWN else ""
            )
            skipped = text("dict_import_skipped", interaction.locale, count=len(parsed.skipped), lines=shown)
        await respond(interaction, "dict_imported", added=added, replaced=replaced, skipped=skipped)

    owner = app_commands.Group(
        name="botdict", description="全サーバー共通の辞書(ボットの持ち主) / Bot-wide dictionary (owner)"
    )

    async def require_owner(interaction: discord.Interaction[Any]) -> None:
        if not await interaction.client.is_owner(interaction.user):
            raise Refusal("owner_only")

    @owner.command(name="add", description="全サーバーで読み方を登録 / Add a word everywhere")
    @app_commands.describe(word="単語", reading="読み方")
    async def owner_add(interaction: discord.Interaction[Any], word: str, reading: str) -> None:
        await require_owner(interaction)
        word, reading = await add_entry(BOT_DICTIONARY, word, reading)
        await respond(interaction, "dict_added", pattern=word, reading=reading)

    @owner.command(name="remove", description="全サーバー共通の辞書から削除 / Remove a word everywhere")
    async def owner_remove(interaction: discord.Interaction[Any], word: str) -> None:
        await require_owner(interaction)
        if not await db.remove_dictionary_entry(BOT_DICTIONARY, word):
            raise Refusal("dict_missing", pattern=word)
        await respond(interaction, "dict_removed", pattern=word)

    ctx.add_command(group)
    ctx.add_command(owner)
