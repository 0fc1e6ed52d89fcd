"""``/dict add|remove|list``: this server's reading dictionary, applied before the text is read."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from voicebot.bot import PluginContext, Refusal
from voicebot.bot.interactions import member_of, reply, respond
from voicebot.bot.messages import text
from voicebot.storage import MAX_PATTERN_CHARS, MAX_READING_CHARS, StorageLimitError

__all__ = ["setup"]

LIST_LIMIT = 1900  # characters of one Discord message (2000) minus room for the heading


def setup(ctx: PluginContext) -> None:
    """Declare the ``/dict`` group."""
    db = ctx.services.db
    group = app_commands.Group(name="dict", description="読み方辞書 / Reading dictionary", guild_only=True)

    @group.command(name="add", description="単語の読み方を登録します / Add a word and its reading")
    @app_commands.describe(word="単語", reading="読み方(ひらがな・カタカナ)")
    async def add(interaction: discord.Interaction[Any], word: str, reading: str) -> None:
        member = member_of(interaction)
        word, reading = word.strip(), reading.strip()
        if not (0 < len(word) <= MAX_PATTERN_CHARS and 0 < len(reading) <= MAX_READING_CHARS):
            raise Refusal("dict_invalid", pattern_limit=MAX_PATTERN_CHARS, reading_limit=MAX_READING_CHARS)
        try:
            await db.add_dictionary_entry(member.guild.id, word, reading)
        except StorageLimitError:  # lengths were checked above: the dictionary is full
            raise Refusal("dict_full", limit=db.max_dictionary_entries) from None
        await respond(interaction, "dict_added", ephemeral=False, pattern=word, reading=reading)

    @group.command(name="remove", description="単語を辞書から削除します / Remove a word")
    @app_commands.describe(word="削除する単語")
    async def remove(interaction: discord.Interaction[Any], word: str) -> None:
        member = member_of(interaction)
        if not await db.remove_dictionary_entry(member.guild.id, word):
            raise Refusal("dict_missing", pattern=word)
        await respond(interaction, "dict_removed", ephemeral=False, pattern=word)

    @group.command(name="list", description="辞書の一覧 / List the dictionary")
    async def list_(interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        entries = await db.list_dictionary(member.guild.id)
        if not entries:
            await respond(interaction, "dict_empty")
            return
        lines = [f"{e.pattern} → {e.reading}" for e in entries]
        body = ""
        for line in lines:
            if len(body) + len(line) + 1 > LIST_LIMIT:
                body += "…"
                break
            body += line + "\n"
        await reply(interaction, f"{text('dict_heading', interaction.locale, count=len(entries))}\n{body}")

    ctx.add_command(group)
