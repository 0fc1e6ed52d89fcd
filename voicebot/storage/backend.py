"""What :class:`~voicebot.storage.Database` needs of a database engine: transactions of plain
SQL statements. SQLite (:mod:`voicebot.storage.sqlite`) is the embedded default; Postgres
(:mod:`voicebot.storage.postgres`) serves several bot processes.

Statements are written once, in the dialect both engines share: ``?`` placeholders, upserts
with ``ON CONFLICT ... DO UPDATE``; a backend translates what its engine spells otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

__all__ = ["Backend", "Row", "Transaction"]

Row = tuple[object, ...]


class Transaction(Protocol):
    """Statements inside one transaction (or one read)."""

    async def execute(self, sql: str, params: Sequence[object] = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement once per parameter row."""
        ...

    async def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run a query; returns its rows as tuples."""
        ...


class Backend(Protocol):
    """An open database whose schema is current."""

    def read(self) -> AbstractAsyncContextManager[Transaction]:
        """Consistent reads."""
        ...

    def write(self) -> AbstractAsyncContextManager[Transaction]:
        """One transaction, committed when the block ends, rolled back if it raises. Writers are
        serialized (across processes too), so a read-check-write inside one is safe."""
        ...

    async def change_marker(self) -> object:
        """A value that differs (``!=``) once another connection has committed a change since it
        was last read: :class:`~voicebot.storage.Database` keeps reads until then."""
        ...

    async def close(self) -> None:
        """Close the connection."""
        ...
