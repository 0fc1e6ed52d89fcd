"""The SQLite backend: opening the file safely (refuse what is not ours, back up, migrate, WAL
mode), then transactions on one aiosqlite connection.

An existing file is never deleted, truncated or recreated. Anything unexpected (not a
SQLite file, a damaged one, a newer schema, a locked file, someone else's database) is
refused with a :class:`StorageError` that says what to do, and the file stays as it was.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from voicebot.storage.backend import Row
from voicebot.storage.errors import StorageError

__all__ = ["SQLiteBackend", "describe_error", "open_connection"]

_log = logging.getLogger(__name__)

_SQLITE_HEADER = b"SQLite format 3\x00"


def describe_error(path: Path, exc: sqlite3.Error) -> StorageError:
    """A readable :class:`StorageError` for an error SQLite raised on ``path``."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return StorageError(
            f"the settings database {path} is locked by another program (is another voicebot "
            "running on the same data folder?): stop it, or give this one its own VOICEBOT_DATA_DIR"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return StorageError(
            f"the settings database {path} is damaged ({text}): voicebot leaves it untouched; "
            "restore it from a backup (*.bak next to it) or move it away to start afresh"
        )
    if "readonly" in text or "unable to open" in text or "disk" in text:
        return StorageError(
            f"cannot write the settings database {path} ({text}): check the folder's space and rights"
        )
    return StorageError(f"the settings database {path} failed: {text}")


def _check_header(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"cannot read the settings database {path}: {exc.strerror}") from exc
    if header and header != _SQLITE_HEADER:
        raise StorageError(
            f"{path} is not a SQLite database (it may be damaged or another file): voicebot leaves it "
            "untouched; restore it from a backup or move it away to start afresh"
        )


async def _scalar(conn: aiosqlite.Connection, sql: str) -> object:
    async with conn.execute(sql) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else None


async def _backup(conn: aiosqlite.Connection, path: Path, version: int) -> Path:
    """Write a consistent copy (WAL content included) next to ``path``; never overwrites one."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    backup = path.with_name(f"{path.name}.v{version}-{stamp}.bak")
    number = 1
    while backup.exists():
        number += 1
        backup = path.with_name(f"{path.name}.v{version}-{stamp}-{number}.bak")
    await conn.execute("VACUUM INTO ?", (str(backup),))
    return backup


async def _migrate(
    conn: aiosqlite.Connection, path: Path, migrations: Sequence[Sequence[str]], version: int
) -> None:
    """Apply steps ``version + 1 ..`` in one transaction (all or nothing)."""
    await conn.execute("BEGIN IMMEDIATE")
    try:
        current = int(await _scalar(conn, "PRAGMA user_version") or 0)  # another process may have won
        for number in range(current + 1, len(migrations) + 1):
            for statement in migrations[number - 1]:
                await conn.execute(statement)
            _log.info("settings database %s migrated to schema %d", path, number)
        await conn.execute(f"PRAGMA user_version = {len(migrations)}")
        await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise


async def _prepare(
    conn: aiosqlite.Connection, path: Path, migrations: Sequence[Sequence[str]], existed: bool
) -> None:
    latest = len(migrations)
    version = int(await _scalar(conn, "PRAGMA user_version") or 0)
    if version > latest:
        raise StorageError(
            f"the settings database {path} was written by a newer voicebot (schema {version}, this "
            f"version knows up to {latest}): upgrade voicebot, or restore an older backup"
        )
    if version == 0 and await _scalar(conn, "SELECT count(*) FROM sqlite_master"):
        raise StorageError(
            f"{path} is a SQLite database of another program, not voicebot's: voicebot leaves it "
            "untouched; point VOICEBOT_DATA_DIR at another folder"
        )
    check = await _scalar(conn, "PRAGMA quick_check")
    if check != "ok":
        raise StorageError(
            f"the settings database {path} is damaged ({check}): voicebot leaves it untouched; "
            "restore it from a backup (*.bak next to it) or move it away to start afresh"
        )
    mode = await _scalar(conn, "PRAGMA journal_mode = WAL")
    if mode != "wal":
        raise StorageError(f"the settings database {path} cannot use WAL mode (got {mode}): use a local disk")
    await conn.execute("PRAGMA synchronous = NORMAL")
    if version < latest:
        if existed and version > 0:
            backup = await _backup(conn, path, version)
            _log.info("backed up the settings database to %s before migrating", backup)
        await _migrate(conn, path, migrations, version)
    else:
        # Take the write lock once, so a database another voicebot is writing is refused now.
        await conn.execute("BEGIN IMMEDIATE")
        await conn.execute("COMMIT")


async def open_connection(
    path: Path, migrations: Sequence[Sequence[str]], *, timeout: float
) -> aiosqlite.Connection:
    """Open (or create) the database at ``path`` and bring its schema to ``len(migrations)``.

    Raises:
        StorageError: the file is not a voicebot SQLite database, is damaged, is locked for
            longer than ``timeout`` seconds, or has a newer schema.
    """
    _check_header(path)
    existed = path.exists() and path.stat().st_size > 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create the data folder {path.parent}: {exc.strerror}") from exc
    try:
        conn = await aiosqlite.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise describe_error(path, exc) from exc
    try:
        await _prepare(conn, path, migrations, existed)
    except BaseException as exc:
        await conn.close()
        if isinstance(exc, sqlite3.Error):
            raise describe_error(path, exc) from exc
        raise
    return conn


class _SQLiteTransaction:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        # One trip to the connection's thread, not three (execute, fetch, close): a burst of
        # /say from many servers queues every trip of every message on that one thread.
        return [tuple(row) for row in await self._conn.execute_fetchall(sql, params)]


class _ReadWriteLock:
    """Reads share the connection; a write has it alone, and waiting writes go before new reads.

    aiosqlite runs each statement whole on the connection's thread, so reads may interleave:
    a burst of messages then queues its queries on that thread together instead of one
    message's queries at a time, each a round trip through a busy event loop.
    """

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            async with self._changed:
                self._readers -= 1
                self._changed.notify_all()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        async with self._changed:
            self._writers_waiting += 1
            try:
                await self._changed.wait_for(lambda: not self._writing and not self._readers)
            finally:
                self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            async with self._changed:
                self._writing = False
                self._changed.notify_all()


class SQLiteBackend:
    """One SQLite file (WAL mode): one connection, on which reads run side by side and a write
    runs alone (no other coroutine's statement lands inside its transaction), and ``BEGIN
    IMMEDIATE`` for each write (other processes wait up to the open timeout). SQLite errors come
    out as readable :class:`StorageError`.
    """

    def __init__(self, path: Path, conn: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = _ReadWriteLock()

    @classmethod
    async def open(cls, path: Path, migrations: Sequence[Sequence[str]], *, timeout: float) -> SQLiteBackend:
        """See :func:`open_connection`."""
        return cls(path, await open_connection(path, migrations, timeout=timeout))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[_SQLiteTransaction]:
        async with self._lock.reading():
            with self._described():
                yield _SQLiteTransaction(self._conn)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[_SQLiteTransaction]:
        async with self._lock.writing():
            with self._described():
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield _SQLiteTransaction(self._conn)
                except BaseException:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")

    @contextmanager
    def _described(self) -> Iterator[None]:
        """SQLite errors inside as readable :class:`StorageError`."""
        try:
            yield
        except sqlite3.Error as exc:
            raise describe_error(self.path, exc) from exc

    async def change_marker(self) -> object:
        """``PRAGMA data_version``: SQLite moves it on for commits by other connections only."""
        async with self.read() as transaction:
            return (await transaction.fetchall("PRAGMA data_version"))[0][0]

    async def close(self) -> None:
        await self._conn.close()
