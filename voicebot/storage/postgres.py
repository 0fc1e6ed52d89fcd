"""The Postgres backend (psycopg 3), for several bot processes sharing their settings.

The schema is the SQLite one (:mod:`voicebot.storage.schema`), its types spelled for Postgres,
its version kept in a ``voicebot_schema`` table; migrations run in one transaction under an
advisory lock, so processes starting together migrate once. Writers take a second advisory
lock, which makes them one at a time across processes as ``BEGIN IMMEDIATE`` does on SQLite.
A lost connection (Postgres restarted) fails the request in progress with a
:class:`StorageError` and is opened again for the next one.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict

from voicebot.storage.backend import Row
from voicebot.storage.errors import StorageError

__all__ = ["PostgresBackend", "describe_url", "is_postgres_url", "postgres_statement"]

_log = logging.getLogger(__name__)

_MIGRATION_LOCK = 0x766F6963  # advisory lock keys of voicebot ("voic", "ebot")
_WRITE_LOCK = 0x65626F74
_TYPES = ((re.compile(r"\bINTEGER\b"), "BIGINT"), (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"))


def is_postgres_url(location: str) -> bool:
    """Whether ``location`` names a Postgres database rather than a SQLite file."""
    return location.startswith(("postgresql://", "postgres://"))


def postgres_statement(sql: str) -> str:
    """A statement of the shared dialect as Postgres spells it: ``%s`` placeholders, 64-bit
    integers (Discord ids) and doubles, no SQLite table options."""
    for pattern, replacement in _TYPES:
        sql = pattern.sub(replacement, sql)
    return sql.replace("WITHOUT ROWID", "").replace("?", "%s")


def describe_url(url: str) -> str:
    """Where ``url`` points, without its password: ``host:port/dbname``."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(an unreadable VOICEBOT_DATABASE_URL)"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


class _PostgresTransaction:
    def __init__(self, conn: psycopg.AsyncConnection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        cursor = await self._conn.execute(postgres_statement(sql), params)  # type: ignore[arg-type]
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        async with self._conn.cursor() as cursor:
            await cursor.executemany(postgres_statement(sql), rows)  # type: ignore[arg-type]

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        cursor = await self._conn.execute(postgres_statement(sql), params)  # type: ignore[arg-type]
        return [tuple(row) for row in await cursor.fetchall()]


class PostgresBackend:
    """One connection to a Postgres database, used one request at a time.

    Use :meth:`open`.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._where = describe_url(url)
        self._timeout = timeout
        self._conn: psycopg.AsyncConnection | None = None
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str, migrations: Sequence[Sequence[str]], *, timeout: float) -> PostgresBackend:
        """Connect to ``url`` and bring its schema to ``len(migrations)``.

        Raises:
            StorageError: Postgres is unreachable or refuses the login, or its schema is newer.
        """
        backend = cls(url, timeout)
        async with backend._lock:
            conn = await backend._connection()
            try:
                await _migrate(conn, migrations, backend._where)
            except BaseException as exc:
                await backend.close()
                if isinstance(exc, psycopg.Error):
                    raise backend._error(exc) from exc
                raise
        return backend

    async def _connection(self) -> psycopg.AsyncConnection:
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        try:
            self._conn = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=max(1, round(self._timeout))
            )
        except psycopg.Error as exc:
            raise StorageError(
                f"cannot reach the settings database at {self._where} ({_first_line(exc)}): check "
                "VOICEBOT_DATABASE_URL and that Postgres is running"
            ) from exc
        _log.info("connected to the settings database at %s", self._where)
        return self._conn

    def _error(self, exc: psycopg.Error) -> StorageError:
        if isinstance(exc, psycopg.OperationalError):
            return StorageError(
                f"lost the connection to the settings database at {self._where} ({_first_line(exc)}); "
                "it is opened again for the next request: try again"
            )
        return StorageError(f"the settings database at {self._where} failed: {_first_line(exc)}")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[_PostgresTransaction]:
        async with self._lock:
            conn = await self._connection()
            try:
                async with conn.transaction():
                    yield _PostgresTransaction(conn)
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    @asynccontextmanager
    async def write(self) -> AsyncIterator[_PostgresTransaction]:
        async with self.read() as transaction:
            await transaction.execute("SELECT pg_advisory_xact_lock(?)", (_WRITE_LOCK,))
            yield transaction

    async def change_marker(self) -> object:
        """The write-ahead log's position: every commit moves it on (other databases' too, which
        only costs a reread)."""
        async with self.read() as transaction:
            return (await transaction.fetchall("SELECT pg_current_wal_lsn()"))[0][0]

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()


async def _migrate(conn: psycopg.AsyncConnection, migrations: Sequence[Sequence[str]], where: str) -> None:
    """Apply the steps the database lacks, all in one transaction."""
    latest = len(migrations)
    async with conn.transaction():
        transaction = _PostgresTransaction(conn)
        await transaction.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
        await transaction.execute("CREATE TABLE IF NOT EXISTS voicebot_schema (version INTEGER NOT NULL)")
        rows = await transaction.fetchall("SELECT version FROM voicebot_schema")
        version = int(rows[0][0]) if rows else 0  # type: ignore[call-overload]
        if version > latest:
            raise StorageError(
                f"the settings database at {where} was written by a newer voicebot (schema {version}, "
                f"this version knows up to {latest}): upgrade voicebot"
            )
        for number in range(version + 1, latest + 1):
            for statement in migrations[number - 1]:
                await transaction.execute(statement)
            _log.info("settings database at %s migrated to schema %d", where, number)
        if version < latest:
            await transaction.execute("DELETE FROM voicebot_schema")
            await transaction.execute("INSERT INTO voicebot_schema (version) VALUES (?)", (latest,))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
