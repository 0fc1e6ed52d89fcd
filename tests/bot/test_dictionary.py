"""``/dict``: pages, export, import all or nothing, the bot-wide dictionary and its bounds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest

from tests.bot.fakes import FakeGuild, FakeInteraction, FakeMember
from tests.bot.helpers import invoke
from voicebot.bot import BotServices, PluginRegistry
from voicebot.cli import main
from voicebot.config import get_settings
from voicebot.storage import BOT_DICTIONARY
from voicebot.text import DictEntry
from voicebot.text.dictionary_file import DictionaryFileError, parse_dictionary

ENGLISH = discord.Locale.american_english
LIMITS = (50, 64)


@dataclass
class Upload:
    """A file attached to a slash command, as discord.py hands it over."""

    filename: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    async def read(self) -> bytes:
        return self.data


def _admin() -> FakeMember:
    return FakeMember(FakeGuild(), "管理人", manage_guild=True)


def test_files_are_read_line_by_line_with_reasons() -> None:
    csv = "word,reading\n鬼滅,きめつ\n,から\nabc,エービーシー,extra\n\nvc,ブイシー\n".encode()
    parsed = parse_dictionary(csv, "words.csv", LIMITS)
    assert [(e.pattern, e.reading) for e in parsed.entries] == [("鬼滅", "きめつ"), ("vc", "ブイシー")]
    assert parsed.skipped == ["line 3: the word must be 1 to 50 characters", "line 4: expected word,reading"]
    as_object = parse_dictionary(json.dumps({"草": "くさ", "x": ""}).encode(), "d.json", LIMITS)
    assert len(as_object.entries) == 1 and as_object.skipped == [
        "entry 2: the reading must be 1 to 64 characters"
    ]
    for data, name, reason in (
        (b"\xff\xfe junk", "d.csv", "not UTF-8"),
        (b'{"broken": ', "d.json", "not JSON of the expected shape"),
        (b"x" * (256 * 1024 + 1), "d.csv", "over 256 KB"),
        (b"\n\n", "d.csv", "holds no entries"),
    ):
        with pytest.raises(DictionaryFileError, match=reason):
            parse_dictionary(data, name, LIMITS)


async def test_import_then_a_message_is_read_with_the_imported_reading(
    registry: PluginRegistry, services: BotServices
) -> None:
    admin = _admin()
    member = FakeMember(admin.guild, "よむひと")
    refused = FakeInteraction(member)
    await invoke(registry, "dict import", refused, file=Upload("d.csv", "鬼滅,きめつ\n".encode()))
    assert "サーバー管理" in refused.replies[-1].content

    done = FakeInteraction(admin, locale=ENGLISH)
    upload = Upload("d.csv", "鬼滅,きめつのやいば\n,空\n".encode())
    await invoke(registry, "dict import", done, file=upload)
    reply = done.replies[-1].content
    assert reply.startswith("Added 1 words and updated 0.") and "line 2: the word must be 1 to 50" in reply
    utterance = await services.prepare(admin.guild, member.id, "鬼滅が好き")  # type: ignore[arg-type]
    assert utterance.text.startswith("きめつのやいば")

    # Over the per-server limit: nothing is stored, not even the words that would fit.
    limit = services.db.max_dictionary_entries
    many = "".join(f"語{i},ご\n" for i in range(limit)).encode()
    over = FakeInteraction(admin, locale=ENGLISH)
    await invoke(registry, "dict import", over, file=Upload("many.csv", many))
    assert "Cannot import: importing would make" in over.replies[-1].content
    assert len(await services.db.list_dictionary(admin.guild.id)) == 1


async def test_a_long_dictionary_pages_with_buttons_and_exports_as_a_file(
    registry: PluginRegistry, services: BotServices
) -> None:
    admin = _admin()
    words = [(f"ことば{i:03d}", "とてもながいよみかた" * 3) for i in range(150)]
    await services.db.import_dictionary(admin.guild.id, [DictEntry(*w) for w in words])
    listing = FakeInteraction(admin, locale=ENGLISH)
    await invoke(registry, "dict list", listing)
    first = listing.replies[-1]
    view = first.extra["view"]
    pages = len(view.bodies)
    assert pages > 1 and f"page 1 of {pages}" in first.content and len(first.content) <= 2000
    press = FakeInteraction(admin, locale=ENGLISH)
    await view.next.callback(press)  # the ▶ button
    assert f"page 2 of {pages}" in press.replies[-1].content
    shown = "".join(view.bodies)
    assert all(word in shown for word, _ in words)  # every entry is on some page

    export = FakeInteraction(admin, locale=ENGLISH)
    await invoke(registry, "dict export", export)
    file = export.replies[-1].extra["file"]
    assert file.filename == "dictionary.json"
    rows = json.loads(file.fp.read().decode())
    assert len(rows) == 150 and rows[0] == {"word": "ことば000", "reading": words[0][1]}


async def test_the_bot_wide_dictionary_applies_after_the_servers(
    registry: PluginRegistry, services: BotServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = _admin()
    await services.db.add_dictionary_entry(admin.guild.id, "草", "くさ")
    await services.db.add_dictionary_entry(BOT_DICTIONARY, "草", "わら")  # the server's own wins
    await services.db.add_dictionary_entry(BOT_DICTIONARY, "鯖", "サーバー")
    utterance = await services.prepare(admin.guild, admin.id, "鯖で草")  # type: ignore[arg-type]
    assert utterance.text == "サーバーでくさ"

    # A reading that expands every character cannot turn a message into minutes of speech.
    await services.db.add_dictionary_entry(admin.guild.id, "あ", "ながい" * 20)
    long = await services.prepare(admin.guild, admin.id, "あ" * 90)  # type: ignore[arg-type]
    assert len(long.text) <= 4 * services.settings.max_chars


def test_voicebot_dict_keeps_the_bot_wide_dictionary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOICEBOT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        (tmp_path / "w.csv").write_text("鬼滅,きめつ\nabc,エー,extra\n", encoding="utf-8")
        assert main(["dict", "import", str(tmp_path / "w.csv")]) == 0
        assert "1 added, 0 updated, 1 lines skipped" in capsys.readouterr().out
        assert main(["dict", "add", "鯖", "サーバー"]) == 0
        assert main(["dict", "list"]) == 0
        assert capsys.readouterr().out.splitlines()[-3:] == ["鬼滅 → きめつ", "鯖 → サーバー", "2 words"]
        assert main(["dict", "remove", "鯖"]) == 0
        assert main(["dict", "remove", "鯖"]) == 1
    finally:
        get_settings.cache_clear()


async def test_only_the_owner_keeps_the_bot_wide_dictionary_from_discord(
    registry: PluginRegistry, services: BotServices
) -> None:
    admin = _admin()
    owner_id = admin.id

    async def is_owner(user: FakeMember) -> bool:
        return user.id == owner_id

    refused = FakeInteraction(
        FakeMember(admin.guild, "管理者だが持ち主ではない", manage_guild=True), locale=ENGLISH
    )
    refused.client.is_owner = is_owner
    await invoke(registry, "botdict add", refused, word="鯖", reading="サーバー")
    assert refused.replies[-1].content == "Only the bot's owner can use this command."
    assert await services.db.list_dictionary(BOT_DICTIONARY) == []

    done = FakeInteraction(admin)
    done.client.is_owner = is_owner
    await invoke(registry, "botdict add", done, word="鯖", reading="サーバー")
    other_guild = FakeMember(FakeGuild(), "よそのひと")
    utterance = await services.prepare(other_guild.guild, other_guild.id, "鯖")  # type: ignore[arg-type]
    assert utterance.text == "サーバー"  # every server
    gone = FakeInteraction(admin)
    gone.client.is_owner = is_owner
    await invoke(registry, "botdict remove", gone, word="鯖")
    assert await services.db.list_dictionary(BOT_DICTIONARY) == []


async def test_a_full_bot_wide_dictionary_says_full_not_invalid(
    registry: PluginRegistry, services: BotServices
) -> None:
    owner = _admin()
    services.db.max_dictionary_entries = 1
    replies = []
    for word in ("鯖", "鬼滅"):
        interaction = FakeInteraction(owner, locale=ENGLISH)
        interaction.client.is_owner = lambda user: _true()
        await invoke(registry, "botdict add", interaction, word=word, reading="よみ")
        replies.append(interaction.replies[-1].content)
    assert replies[1] == "The dictionary is full (1 words). Remove unused words with /botdict remove."
    assert [entry.pattern for entry in await services.db.list_dictionary(BOT_DICTIONARY)] == ["鯖"]


async def _true() -> bool:
    return True
