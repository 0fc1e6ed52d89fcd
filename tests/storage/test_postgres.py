"""Postgres for several bot processes: moving the SQLite settings there, concurrent writers,
a restarted server and an unreachable one."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from pathlib import Path

import pytest

from tests.postgres import PostgresServer
from voicebot.cli import main
from voicebot.config import ConfigError, get_settings, load_settings
from voicebot.storage import DATABASE_FILE, Database, GuildSettings, StorageError, UserVoice
from voicebot.text import DictEntry

GUILD = 111

_WRITER = """
import asyncio, sys
from voicebot.storage import Database

async def main(url, name):
    async with Database(url) as db:
        for number in range(40):
            await db.add_dictionary_entry(111, f"{name}{number}", "よみ")

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_migrate_to_copies_the_sqlite_settings_once(
    postgres: PostgresServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    async with Database(tmp_path / DATABASE_FILE) as sqlite:
        await sqlite.set_guild_settings(
            GUILD, GuildSettings(default_voice="kumo", ignored_users=frozenset({5}))
        )
        await sqlite.add_dictionary_entry(GUILD, "鯖", "さば")
        await sqlite.set_user_voice(GUILD, 7, UserVoice("default", "kumo", 1.25, 0.5, 1.0, 0.8))
        await sqlite.plugin_data("hello").set("greeting", {"text": "やあ"}, guild_id=GUILD)
    url = postgres.new_database()
    monkeypatch.setenv("VOICEBOT_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()  # the CLI reads the settings once per process
    request.addfinalizer(get_settings.cache_clear)

    assert await asyncio.to_thread(main, ["db", "migrate-to", url]) == 0
    assert "secret-password" not in capsys.readouterr().out
    async with Database(url) as copied:
        settings = await copied.get_guild_settings(GUILD)
        assert settings.default_voice == "kumo" and settings.ignored_users == {5}
        assert await copied.list_dictionary(GUILD) == [DictEntry("鯖", "さば")]
        assert await copied.get_user_voice(GUILD, 7) == UserVoice("default", "kumo", 1.25, 0.5, 1.0, 0.8)
        assert await copied.plugin_data("hello").get("greeting", guild_id=GUILD) == {"text": "やあ"}

    assert await asyncio.to_thread(main, ["db", "migrate-to", url]) == 2  # not twice
    assert "already holds settings" in capsys.readouterr().err
    async with Database(url) as copied:
        assert len(await copied.list_dictionary(GUILD)) == 1


async def test_two_processes_adding_words_at_once_lose_none(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    async with Database(url):
        pass  # migrate once, so the writers race on the words only
    root = str(Path(__file__).resolve().parents[2])
    writers = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", _WRITER, url, name, cwd=root)
        for name in ("alpha", "kumo")
    ]
    assert [await writer.wait() for writer in writers] == [0, 0]
    async with Database(url) as db:
        assert len(await db.list_dictionary(GUILD)) == 80


async def test_a_restarted_server_loses_no_acknowledged_setting(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    acknowledged: list[str] = []
    failures: list[str] = []
    async with Database(url) as db:
        restart = threading.Thread(target=postgres.ctl, args=("restart", "-m", "fast"))
        number = 0
        while number < 60 or restart.is_alive():
            if number == 20:
                restart.start()
            word = f"word{number}"
            try:
                await db.add_dictionary_entry(GUILD, word, "よみ")
            except StorageError as exc:
                failures.append(str(exc))
            else:
                acknowledged.append(word)
            number += 1
            await asyncio.sleep(0.01)
        restart.join()
        await db.add_dictionary_entry(GUILD, "after", "あと")  # the connection came back
        stored = {entry.pattern for entry in await db.list_dictionary(GUILD)}
    assert set(acknowledged) <= stored
    assert failures, "the restart went unnoticed: the test did not exercise a lost connection"
    # while it is down: "lost the connection ... try again", then "cannot reach ... is Postgres running"
    assert all("settings database" in failure and "secret-password" not in failure for failure in failures)


async def test_an_unreachable_server_is_one_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens there once the probe closes
    with pytest.raises(StorageError) as caught:
        await Database(f"postgresql://bot:hunter2@127.0.0.1:{port}/voicebot", timeout=2).open()
    message = str(caught.value)
    assert "cannot reach the settings database" in message and "VOICEBOT_DATABASE_URL" in message
    assert "hunter2" not in message


def test_database_url_and_shard_settings_are_checked() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(database_url="mysql://bot:hunter2@db/voicebot")
    assert "postgresql://" in str(caught.value) and "hunter2" not in str(caught.value)
    with pytest.raises(ConfigError, match="VOICEBOT_SHARD_COUNT"):
        load_settings(shard_ids="0,1")
    with pytest.raises(ConfigError, match="between 0 and 3"):
        load_settings(shard_count=4, shard_ids="3,4")
    assert load_settings(shard_count=4, shard_ids="2,3").shard_ids == [2, 3]
