"""Opening the file: migrations, backups, WAL, and refusing what must not be touched."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from voicebot.storage import SCHEMA_VERSION, Database, StorageError, UserVoice
from voicebot.storage import database as database_module
from voicebot.storage.schema import MIGRATIONS
from voicebot.storage.sqlite import SQLiteBackend

GUILD, ALICE = 111, 1001


def _version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


def _backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.v*.bak"))


async def test_new_database_gets_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "db.sqlite3"  # the folder is created too
    async with Database(path):
        pass
    assert _version(path) == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert _backups(path) == []  # nothing to back up in a new file


async def test_reopening_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "db"
    for _ in range(3):
        async with Database(path) as db:
            await db.add_dictionary_entry(GUILD, "a", "え")
    assert _version(path) == SCHEMA_VERSION
    assert _backups(path) == []
    async with Database(path) as db:
        assert len(await db.list_dictionary(GUILD)) == 1


async def test_migration_keeps_data_and_backs_up_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db"
    async with Database(path) as db:
        await db.set_user_voice(GUILD, ALICE, UserVoice("kumo"))

    step = ("CREATE TABLE later_feature (id INTEGER PRIMARY KEY)",)
    monkeypatch.setattr(database_module, "MIGRATIONS", (*MIGRATIONS, step))
    async with Database(path) as db:
        assert await db.get_user_voice(GUILD, ALICE) == UserVoice("kumo")
    assert _version(path) == SCHEMA_VERSION + 1

    [backup] = _backups(path)
    assert backup.name.startswith(f"db.v{SCHEMA_VERSION}-")
    assert _version(backup) == SCHEMA_VERSION
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT voice FROM user_voices").fetchall() == [("kumo",)]


async def test_failed_migration_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "db"
    async with Database(path) as db:
        await db.set_user_voice(GUILD, ALICE, UserVoice("kumo"))

    broken = ("CREATE TABLE half_done (id INTEGER)", "THIS IS NOT SQL")
    monkeypatch.setattr(database_module, "MIGRATIONS", (*MIGRATIONS, broken))
    with pytest.raises(StorageError, match="failed"):
        await Database(path).open()

    assert _version(path) == SCHEMA_VERSION
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "half_done" not in tables
    monkeypatch.setattr(database_module, "MIGRATIONS", MIGRATIONS)
    async with Database(path) as db:
        assert await db.get_user_voice(GUILD, ALICE) == UserVoice("kumo")


async def test_random_bytes_are_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "db"
    garbage = os.urandom(8192)
    path.write_bytes(garbage)
    with pytest.raises(StorageError, match=r"not a SQLite database.*untouched"):
        await Database(path).open()
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db"]


async def test_damaged_database_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "db"
    async with Database(path) as db:
        for i in range(200):
            await db.add_dictionary_entry(GUILD, f"word{i}", "よみ")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[100:] = os.urandom(len(data) - 100)  # keep the header, wreck every page
    path.write_bytes(bytes(data))

    with pytest.raises(StorageError, match="damaged"):
        await Database(path).open()
    assert path.read_bytes() == bytes(data)


async def test_locked_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db"
    async with Database(path):
        pass
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError, match="locked by another program"):
            await Database(path, timeout=0.1).open()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    async with Database(path):  # and opens fine once the other program lets go
        pass


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db"
    async with Database(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(StorageError, match=r"newer voicebot.*upgrade voicebot"):
        await Database(path).open()
    assert path.read_bytes() == before


async def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE their_data (x)")
        conn.execute("INSERT INTO their_data VALUES (42)")
    with pytest.raises(StorageError, match="another program"):
        await Database(path).open()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT x FROM their_data").fetchall() == [(42,)]


async def test_reads_run_side_by_side_and_never_inside_a_write(tmp_path: Path) -> None:
    backend = await SQLiteBackend.open(tmp_path / "db.sqlite3", MIGRATIONS, timeout=5.0)
    count = "SELECT count(*) FROM ignored_users"
    try:
        async with backend.read(), asyncio.timeout(2), backend.read() as second:  # side by side
            assert await second.fetchall(count) == [(0,)]

        writing, release = asyncio.Event(), asyncio.Event()

        async def write() -> None:
            async with backend.write() as transaction:
                await transaction.execute("INSERT INTO ignored_users VALUES (?, ?)", (GUILD, ALICE))
                writing.set()
                await release.wait()

        async def read() -> list[tuple[object, ...]]:
            async with backend.read() as transaction:
                return await transaction.fetchall(count)

        writer = asyncio.create_task(write())
        await writing.wait()
        reader = asyncio.create_task(read())
        await asyncio.sleep(0.1)
        assert not reader.done(), "a read ran inside a write's transaction"
        release.set()
        await writer
        assert await reader == [(1,)]
    finally:
        await backend.close()
