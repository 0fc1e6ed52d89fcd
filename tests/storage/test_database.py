"""Database: typed settings that survive a restart, the dictionary, user data deletion."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from voicebot.config import load_settings
from voicebot.storage import (
    BOT_DICTIONARY,
    DATABASE_FILE,
    MAX_PLUGIN_VALUE_BYTES,
    Database,
    GuildSettings,
    ReaderChannels,
    SpeechSettings,
    StorageError,
    StorageLimitError,
    UserVoice,
)
from voicebot.text import DictEntry, apply_dictionary

GUILD, OTHER_GUILD = 111, 222
ALICE, BOB = 1001, 1002


async def test_everything_survives_close_and_reopen(location: str | Path) -> None:
    path = location
    settings = GuildSettings(
        default_voice="kumo",
        language="en",
        max_chars=120,
        read_names=False,
        read_bots=True,
        read_joins=True,
        auto_join=True,
        skip_prefixes=("!", "；"),
        ignored_users=frozenset({BOB}),
    )
    async with Database(path) as db:
        await db.set_guild_settings(GUILD, settings)
        await db.set_user_voice(GUILD, ALICE, UserVoice("kumo", "jm_kumo", 1.25))
        await db.add_dictionary_entry(GUILD, "voicebot", "ぼいすぼっと")
        await db.set_reader_channels(GUILD, 5, 6)
        await db.plugin_data("reader").set("last_speaker", {"id": ALICE}, guild_id=GUILD)

    async with Database(path) as db:
        assert await db.get_guild_settings(GUILD) == settings
        assert await db.get_user_voice(GUILD, ALICE) == UserVoice("kumo", "jm_kumo", 1.25)
        assert await db.list_dictionary(GUILD) == [DictEntry("voicebot", "ぼいすぼっと")]
        assert await db.get_reader_channels(GUILD) == ReaderChannels(GUILD, 5, 6)
        assert await db.all_reader_channels() == [ReaderChannels(GUILD, 5, 6)]
        assert await db.plugin_data("reader").get("last_speaker", guild_id=GUILD) == {"id": ALICE}


async def test_unknown_guild_and_user_get_defaults(location: str | Path) -> None:
    async with Database(location) as db:
        assert await db.get_guild_settings(GUILD) == GuildSettings()
        assert await db.get_user_voice(GUILD, ALICE) is None
        assert await db.get_reader_channels(GUILD) is None
        assert await db.list_dictionary(GUILD) == []
        assert await db.plugin_data("x").get("k", "fallback") == "fallback"


async def test_speech_settings_are_what_a_message_is_read_with(location: str | Path) -> None:
    async with Database(location) as db:
        await db.update_guild_settings(GUILD, default_voice="kumo", read_urls=False)
        await db.set_user_voice(GUILD, ALICE, UserVoice("alpha", speed=1.5))
        await db.add_dictionary_entry(GUILD, "vb", "ぶいびー")
        await db.add_dictionary_entry(BOT_DICTIONARY, "gg", "じーじー")

        assert await db.get_speech_settings(GUILD, ALICE) == SpeechSettings(
            await db.get_guild_settings(GUILD),
            [DictEntry("vb", "ぶいびー")],
            [DictEntry("gg", "じーじー")],
            UserVoice("alpha", speed=1.5),
        )
        elsewhere = await db.get_speech_settings(OTHER_GUILD, ALICE)
        assert elsewhere == SpeechSettings(GuildSettings(), [], [DictEntry("gg", "じーじー")], None)


async def test_update_guild_settings_changes_only_what_is_named(location: str | Path) -> None:
    async with Database(location) as db:
        await db.update_guild_settings(GUILD, default_voice="kumo", ignored_users=frozenset({BOB}))
        updated = await db.update_guild_settings(GUILD, read_bots=True)
        assert updated == GuildSettings(default_voice="kumo", read_bots=True, ignored_users=frozenset({BOB}))
        assert await db.get_guild_settings(GUILD) == updated
        assert await db.get_guild_settings(OTHER_GUILD) == GuildSettings()
        with pytest.raises(StorageLimitError, match="language"):
            await db.update_guild_settings(GUILD, language="fr")
        with pytest.raises(StorageError, match="unknown guild settings: volume"):
            await db.update_guild_settings(GUILD, volume=3)
        assert await db.get_guild_settings(GUILD) == updated


async def test_concurrent_updates_are_not_lost(location: str | Path) -> None:
    async with Database(location) as db:
        await asyncio.gather(
            db.update_guild_settings(GUILD, read_bots=True),
            db.update_guild_settings(GUILD, read_joins=True),
            db.update_guild_settings(GUILD, auto_join=True),
            db.update_guild_settings(GUILD, default_voice="kumo"),
        )
        assert await db.get_guild_settings(GUILD) == GuildSettings(
            default_voice="kumo", read_bots=True, read_joins=True, auto_join=True
        )


async def test_user_voice_is_per_guild_and_bounded(location: str | Path) -> None:
    async with Database(location) as db:
        await db.set_user_voice(GUILD, ALICE, UserVoice("a"))
        await db.set_user_voice(OTHER_GUILD, ALICE, UserVoice("b", speed=0.8))
        assert await db.get_user_voice(GUILD, ALICE) == UserVoice("a")
        assert await db.get_user_voice(OTHER_GUILD, ALICE) == UserVoice("b", speed=0.8)
        assert await db.clear_user_voice(GUILD, ALICE)
        assert not await db.clear_user_voice(GUILD, ALICE)
        assert await db.get_user_voice(GUILD, ALICE) is None
    with pytest.raises(StorageLimitError, match="speed"):
        UserVoice("a", speed=5.0)


async def test_dictionary_add_replace_remove_list(location: str | Path) -> None:
    async with Database(location) as db:
        assert not await db.add_dictionary_entry(GUILD, "ABC", "えーびーしー")
        assert not await db.add_dictionary_entry(GUILD, "草", "くさ")
        # The same word in another width and case replaces the entry instead of adding one.
        assert await db.add_dictionary_entry(GUILD, "ａｂｃ", "あいうえお")
        entries = await db.list_dictionary(GUILD)
        assert entries == [DictEntry("ａｂｃ", "あいうえお"), DictEntry("草", "くさ")]
        assert apply_dictionary("abcです", entries) == "あいうえおです"
        assert await db.list_dictionary(OTHER_GUILD) == []

        assert await db.remove_dictionary_entry(GUILD, "Abc")
        assert not await db.remove_dictionary_entry(GUILD, "abc")
        assert await db.list_dictionary(GUILD) == [DictEntry("草", "くさ")]


async def test_dictionary_is_capped(location: str | Path) -> None:
    async with Database(location, max_dictionary_entries=2) as db:
        await db.add_dictionary_entry(GUILD, "a", "え")
        await db.add_dictionary_entry(GUILD, "b", "び")
        with pytest.raises(StorageLimitError, match="full \\(2 words\\)"):
            await db.add_dictionary_entry(GUILD, "c", "し")
        assert await db.add_dictionary_entry(GUILD, "A", "えー")  # replacing is still allowed
        await db.add_dictionary_entry(OTHER_GUILD, "c", "し")  # the cap is per guild
        with pytest.raises(StorageLimitError, match="word must be 1 to 50"):
            await db.add_dictionary_entry(GUILD, "x" * 51, "よみ")
        with pytest.raises(StorageLimitError, match="reading must be 1 to 64"):
            await db.add_dictionary_entry(GUILD, "x", "あ" * 65)
        with pytest.raises(StorageLimitError, match="word must be"):
            await db.add_dictionary_entry(GUILD, "   ", "よみ")
        assert len(await db.list_dictionary(GUILD)) == 2


async def test_cap_comes_from_the_settings(tmp_path: Path) -> None:
    db = Database.from_settings(load_settings(data_dir=tmp_path, dictionary_max_entries=7))
    assert db.path == tmp_path / DATABASE_FILE
    assert db.max_dictionary_entries == 7


async def test_reader_channels_set_replace_clear(location: str | Path) -> None:
    async with Database(location) as db:
        await db.set_reader_channels(GUILD, 1, 2)
        await db.set_reader_channels(GUILD, 3, 4)
        await db.set_reader_channels(OTHER_GUILD, 5, 6)
        assert await db.get_reader_channels(GUILD) == ReaderChannels(GUILD, 3, 4)
        assert await db.clear_reader_channels(GUILD)
        assert not await db.clear_reader_channels(GUILD)
        assert await db.all_reader_channels() == [ReaderChannels(OTHER_GUILD, 5, 6)]


async def test_plugin_data_is_namespaced_and_scoped(location: str | Path) -> None:
    async with Database(location) as db:
        reader, quotes = db.plugin_data("reader"), db.plugin_data("quotes")
        await reader.set("k", 1)
        await quotes.set("k", 2)
        await reader.set("k", 3, guild_id=GUILD)
        await reader.set("k", 4, guild_id=GUILD, user_id=ALICE)
        assert [await reader.get("k"), await quotes.get("k")] == [1, 2]
        assert await reader.get("k", guild_id=GUILD) == 3
        assert await reader.get("k", guild_id=GUILD, user_id=ALICE) == 4
        assert await reader.keys(guild_id=GUILD) == ["k"]
        assert await reader.delete("k")
        assert not await reader.delete("k")
        assert await reader.get("k") is None
        assert await quotes.get("k") == 2

        with pytest.raises(StorageLimitError, match="only store JSON"):
            await reader.set("bad", object())
        with pytest.raises(StorageLimitError, match="limit is"):
            await reader.set("big", "x" * (MAX_PLUGIN_VALUE_BYTES + 1))


async def test_delete_user_data_forgets_that_user_only_and_keeps_moderation(
    location: str | Path,
) -> None:
    path = location
    async with Database(path) as db:
        for guild in (GUILD, OTHER_GUILD):
            await db.set_user_voice(guild, ALICE, UserVoice("a"))
            await db.set_user_voice(guild, BOB, UserVoice("b"))
        await db.update_guild_settings(GUILD, ignored_users=frozenset({ALICE, BOB}))
        notes = db.plugin_data("notes")
        await notes.set("n", "alice's", guild_id=GUILD, user_id=ALICE)
        await notes.set("n", "bob's", guild_id=GUILD, user_id=BOB)
        await notes.set("n", "guild-wide", guild_id=GUILD)

        assert await db.delete_user_data(ALICE) == 3

    async with Database(path) as db:
        assert await db.get_user_voice(GUILD, ALICE) is None
        assert await db.get_user_voice(OTHER_GUILD, ALICE) is None
        assert await db.get_user_voice(GUILD, BOB) == UserVoice("b")
        assert (await db.get_guild_settings(GUILD)).ignored_users == {ALICE, BOB}  # an admin's decision
        notes = db.plugin_data("notes")
        assert await notes.get("n", guild_id=GUILD, user_id=ALICE) is None
        assert await notes.get("n", guild_id=GUILD, user_id=BOB) == "bob's"
        assert await notes.get("n", guild_id=GUILD) == "guild-wide"
        assert await db.delete_user_data(ALICE) == 0


async def test_methods_refuse_a_closed_database(location: str | Path) -> None:
    db = Database(location)
    with pytest.raises(StorageError, match="not open"):
        await db.get_guild_settings(GUILD)
    await db.open()
    await db.get_speech_settings(GUILD, ALICE)  # kept in memory while open
    await db.close()
    await db.close()
    with pytest.raises(StorageError, match="not open"):
        await db.list_dictionary(GUILD)
    with pytest.raises(StorageError, match="not open"):
        await db.get_speech_settings(GUILD, ALICE)


async def _said_with(db: Database) -> tuple[SpeechSettings, GuildSettings, str | None]:
    """What the next message of ALICE in GUILD would be read with."""
    return (
        await db.get_speech_settings(GUILD, ALICE),
        await db.get_guild_settings(GUILD),
        await db.get_name_reading(GUILD, ALICE),
    )


async def test_every_change_here_is_read_back_at_once(location: str | Path) -> None:
    # Settings are kept in memory between messages; the next poll is an hour away, so only the
    # write itself can make the change visible.
    async with Database(location, change_poll_s=3600) as db:
        await _said_with(db)  # kept in memory from here on
        await db.add_dictionary_entry(GUILD, "vb", "ぶいびー")
        await db.add_dictionary_entry(BOT_DICTIONARY, "gg", "じーじー")
        await db.update_guild_settings(GUILD, read_urls=False)
        await db.set_user_voice(GUILD, ALICE, UserVoice("alpha", speed=1.5))
        await db.set_name_reading(GUILD, ALICE, "ありす")
        speech, guild, name = await _said_with(db)
        assert speech.dictionary == [DictEntry("vb", "ぶいびー")]
        assert speech.bot_dictionary == [DictEntry("gg", "じーじー")]
        assert speech.guild == guild and not guild.read_urls
        assert speech.user_voice == UserVoice("alpha", speed=1.5)
        assert name == "ありす"
        assert await db.remove_dictionary_entry(GUILD, "vb")
        await db.delete_user_data(ALICE)
        speech, _, name = await _said_with(db)
        assert speech.dictionary == [] and speech.user_voice is None and name is None


async def test_a_change_by_another_process_is_read_within_the_poll_interval(location: str | Path) -> None:
    async with Database(location, change_poll_s=0.05) as db, Database(location) as other:
        await _said_with(db)
        await other.add_dictionary_entry(BOT_DICTIONARY, "gg", "じーじー")  # as `voicebot dict add` does
        await other.set_name_reading(GUILD, ALICE, "ありす")
        for _ in range(100):
            speech, _, name = await _said_with(db)
            if speech.bot_dictionary and name:
                break
            await asyncio.sleep(0.02)
        assert speech.bot_dictionary == [DictEntry("gg", "じーじー")]
        assert name == "ありす"


async def test_settings_are_kept_between_messages_until_the_next_poll(location: str | Path) -> None:
    async with Database(location, change_poll_s=3600) as db, Database(location) as other:
        kept = await _said_with(db)
        await other.update_guild_settings(GUILD, read_urls=False)
        assert await _said_with(db) == kept  # no trip to the database for the next message
