"""The settings database: typed async methods over a :class:`~voicebot.storage.backend.Backend`
(SQLite or Postgres).

Every write runs in its own transaction, writers one at a time; database errors come out as
:class:`StorageError` with a readable message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from voicebot.storage.backend import Backend, Row, Transaction
from voicebot.storage.cache import MISSING, ReadCache
from voicebot.storage.errors import StorageError, StorageLimitError
from voicebot.storage.postgres import PostgresBackend, is_postgres_url
from voicebot.storage.records import (
    MAX_AUTOJOIN_CHANNELS,
    MAX_NAME_READING_CHARS,
    MAX_PATTERN_CHARS,
    MAX_READING_CHARS,
    GuildSettings,
    ReaderChannels,
    SpeechSettings,
    UserVoice,
)
from voicebot.storage.schema import MIGRATIONS, TABLES
from voicebot.storage.sqlite import SQLiteBackend
from voicebot.text import DictEntry

if TYPE_CHECKING:
    from voicebot.config import Settings

__all__ = ["BOT_DICTIONARY", "DATABASE_FILE", "MAX_PLUGIN_VALUE_BYTES", "Database", "PluginData"]

_log = logging.getLogger(__name__)

DATABASE_FILE = "voicebot.sqlite3"
MAX_PLUGIN_VALUE_BYTES = 64 * 1024
_MAX_KEY_CHARS = 200

BOT_DICTIONARY = 0
"""The guild id under which the bot-wide dictionary is stored (no guild has id 0)."""

CHANGE_POLL_S = 1.0
"""How often an open database asks whether another process changed it: a word added with
``voicebot dict`` while the bot runs, or by another shard, is read within this long."""

_T = TypeVar("_T")

_GUILD_COLUMNS = TABLES["guild_settings"][1:]  # after guild_id, in the order rows unpack


def _upsert(table: str, keys: tuple[str, ...], values: tuple[str, ...]) -> str:
    """Insert a row, or update the one with the same ``keys`` (SQLite and Postgres alike)."""
    columns = (*keys, *values)
    updates = ", ".join(f"{column} = excluded.{column}" for column in values)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


def _pattern_key(pattern: str) -> str:
    """Dictionary words are one entry regardless of case and width, as matching treats them."""
    return unicodedata.normalize("NFKC", pattern).casefold().strip()


async def _load_user_voice(conn: Transaction, guild_id: int, user_id: int) -> UserVoice | None:
    rows = await conn.fetchall(
        "SELECT voice, speaker, speed, pitch, intonation, volume FROM user_voices "
        "WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    return UserVoice(*rows[0]) if rows else None


async def _load_dictionary(conn: Transaction, guild_id: int) -> list[DictEntry]:
    rows = await conn.fetchall(
        "SELECT pattern, reading FROM dictionary WHERE guild_id = ? ORDER BY pattern_key", (guild_id,)
    )
    return [DictEntry(pattern, reading) for pattern, reading in rows]


async def _load_guild(conn: Transaction, guild_id: int) -> GuildSettings:
    rows = await conn.fetchall(
        f"SELECT {', '.join(_GUILD_COLUMNS)} FROM guild_settings WHERE guild_id = ?", (guild_id,)
    )
    ignored = await conn.fetchall("SELECT user_id FROM ignored_users WHERE guild_id = ?", (guild_id,))
    ignored_users = frozenset(int(user_id) for (user_id,) in ignored)  # type: ignore[call-overload]
    if not rows:
        return GuildSettings(ignored_users=ignored_users)
    row = rows[0]
    (
        voice,
        language,
        max_chars,
        names,
        bots,
        joins,
        auto_join,
        prefixes,
        suffix,
        repeat,
        members,
        role,
        replies,
        in_voice,
        urls,
        emoji,
        custom_emoji,
        attachments,
    ) = row
    return GuildSettings(
        default_voice=voice,
        language=language,
        max_chars=max_chars,
        read_names=bool(names),
        read_bots=bool(bots),
        read_joins=bool(joins),
        auto_join=bool(auto_join),
        skip_prefixes=tuple(json.loads(prefixes)),
        ignored_users=ignored_users,
        name_suffix=suffix,
        name_repeat_seconds=repeat,
        voice_members_only=bool(members),
        required_role=role,
        read_replies=bool(replies),
        text_in_voice=bool(in_voice),
        read_urls=bool(urls),
        read_emoji=bool(emoji),
        read_custom_emoji=bool(custom_emoji),
        read_attachments=bool(attachments),
    )


async def _store_guild(conn: Transaction, guild_id: int, settings: GuildSettings) -> None:
    values = (
        settings.default_voice,
        settings.language,
        settings.max_chars,
        int(settings.read_names),
        int(settings.read_bots),
        int(settings.read_joins),
        int(settings.auto_join),
        json.dumps(list(settings.skip_prefixes), ensure_ascii=False),
        settings.name_suffix,
        settings.name_repeat_seconds,
        int(settings.voice_members_only),
        settings.required_role,
        int(settings.read_replies),
        int(settings.text_in_voice),
        int(settings.read_urls),
        int(settings.read_emoji),
        int(settings.read_custom_emoji),
        int(settings.read_attachments),
    )
    await conn.execute(_upsert("guild_settings", ("guild_id",), _GUILD_COLUMNS), (guild_id, *values))
    await conn.execute("DELETE FROM ignored_users WHERE guild_id = ?", (guild_id,))
    await conn.executemany(
        "INSERT INTO ignored_users (guild_id, user_id) VALUES (?, ?)",
        [(guild_id, user_id) for user_id in sorted(settings.ignored_users)],
    )


class Database:
    """voicebot's settings database: one SQLite file, or a Postgres database shared by several
    bot processes.

    Use ``async with Database(location) as db:`` or ``await db.open()`` / ``await db.close()``.

    Args:
        location: the SQLite file (created with its folder if missing), or a
            ``postgresql://`` URL.
        max_dictionary_entries: most dictionary words per guild.
        timeout: seconds to wait for a lock held by another connection (or for Postgres to
            answer) before giving up.
        change_poll_s: see :data:`CHANGE_POLL_S`.

    The settings every message is read with (:meth:`get_speech_settings`,
    :meth:`get_guild_settings`, :meth:`get_name_reading`) are kept in memory (see
    :mod:`voicebot.storage.cache`): a write through this object is read back at once, one by
    another process within ``change_poll_s``.
    """

    def __init__(
        self,
        location: str | Path,
        *,
        max_dictionary_entries: int = 500,
        timeout: float = 5.0,
        change_poll_s: float = CHANGE_POLL_S,
    ) -> None:
        self.url = str(location) if is_postgres_url(str(location)) else None
        self.path = Path(location) if self.url is None else None
        self.max_dictionary_entries = max_dictionary_entries
        self._timeout = timeout
        self._change_poll_s = change_poll_s
        self._backend: Backend | None = None
        self._lock = asyncio.Lock()
        self._cache = ReadCache()
        self._watcher: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """``settings.database_url`` when set, else the SQLite file in ``settings.data_dir``; with
        the configured dictionary cap."""
        url = settings.database_url.get_secret_value() if settings.database_url else None
        return cls(
            url or settings.data_dir / DATABASE_FILE, max_dictionary_entries=settings.dictionary_max_entries
        )

    async def open(self) -> None:
        """Connect, creating or migrating the schema (a SQLite file is backed up first).

        Raises:
            StorageError: the database is unreachable, damaged, not voicebot's, locked by
                another program, or from a newer voicebot. It is left as it was.
        """
        async with self._lock:
            if self._backend is None:
                if self.url is not None:
                    self._backend = await PostgresBackend.open(self.url, MIGRATIONS, timeout=self._timeout)
                else:
                    assert self.path is not None
                    self._backend = await SQLiteBackend.open(self.path, MIGRATIONS, timeout=self._timeout)
                marker = await self._backend.change_marker()
                self._watcher = asyncio.create_task(
                    self._watch_changes(self._backend, marker), name="settings database changes"
                )
                _log.debug("settings database open")

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        async with self._lock:
            if self._watcher is not None:
                self._watcher.cancel()
                with suppress(asyncio.CancelledError):
                    await self._watcher
                self._watcher = None
            self._cache.clear()  # a closed database refuses every read, kept ones too
            if self._backend is not None:
                backend, self._backend = self._backend, None
                await backend.close()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _open_backend(self) -> Backend:
        if self._backend is None:
            raise StorageError("the settings database is not open: call `await db.open()` first")
        return self._backend

    def _read(self) -> AbstractAsyncContextManager[Transaction]:
        return self._open_backend().read()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Transaction]:
        try:
            async with self._open_backend().write() as transaction:
                yield transaction
        finally:  # committed, rolled back or lost: what was kept may be out of date either way
            self._cache.clear()

    async def _watch_changes(self, backend: Backend, marker: object) -> None:
        """Empty the cache whenever another connection has changed the database."""
        while True:
            await asyncio.sleep(self._change_poll_s)
            try:
                current = await backend.change_marker()
            except StorageError:  # cannot tell (Postgres restarting): assume it changed
                self._cache.clear()
                continue
            if current != marker:
                marker = current
                self._cache.clear()

    async def _cached(
        self, key: Hashable, load: Callable[[Transaction], Awaitable[_T]], conn: Transaction | None = None
    ) -> _T:
        """The value of ``load`` kept for ``key``, else read (in ``conn``, or a new read) and kept."""
        value = self._cache.get(key)
        if value is not MISSING:
            return cast(_T, value)
        generation = self._cache.generation
        if conn is None:
            async with self._read() as transaction:
                value = await load(transaction)
        else:
            value = await load(conn)
        self._cache.put(key, value, generation)
        return value

    async def _fetchall(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        async with self._read() as transaction:
            return await transaction.fetchall(sql, params)

    # --- guild settings ----------------------------------------------------------------------

    def _kept_guild(self, guild_id: int, conn: Transaction | None = None) -> Awaitable[GuildSettings]:
        """The guild's settings, kept in memory (see :meth:`_cached`)."""
        return self._cached(("guild", guild_id), lambda c: _load_guild(c, guild_id), conn)

    def _kept_dictionary(self, guild_id: int, conn: Transaction) -> Awaitable[list[DictEntry]]:
        """The guild's dictionary (the bot's for :data:`BOT_DICTIONARY`), kept in memory."""
        return self._cached(("dictionary", guild_id), lambda c: _load_dictionary(c, guild_id), conn)

    async def get_guild_settings(self, guild_id: int) -> GuildSettings:
        """The guild's settings (defaults for a guild that never changed any)."""
        return await self._kept_guild(guild_id)

    async def get_speech_settings(self, guild_id: int, user_id: int) -> SpeechSettings:
        """What decides how ``user_id``'s message in ``guild_id`` is read: the guild's settings,
        its dictionary and the bot's, and the member's voice, fetched in one read."""

        async def load(conn: Transaction) -> SpeechSettings:
            # The parts other members and servers share are kept once, not once per member.
            return SpeechSettings(
                await self._kept_guild(guild_id, conn),
                await self._kept_dictionary(guild_id, conn),
                await self._kept_dictionary(BOT_DICTIONARY, conn),
                await _load_user_voice(conn, guild_id, user_id),
            )

        return await self._cached(("speech", guild_id, user_id), load)

    async def set_guild_settings(self, guild_id: int, settings: GuildSettings) -> None:
        """Store all of the guild's settings at once."""
        async with self._write() as conn:
            await _store_guild(conn, guild_id, settings)

    async def update_guild_settings(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Change some of the guild's settings (names as in :class:`GuildSettings`), atomically.

        Returns: the settings now stored.

        Raises:
            StorageLimitError: a value is out of bounds (nothing is changed).
        """
        unknown = set(changes) - set(GuildSettings.__dataclass_fields__)
        if unknown:
            raise StorageError(f"unknown guild settings: {', '.join(sorted(unknown))}")
        async with self._write() as conn:
            current = await _load_guild(conn, guild_id)
            updated = dataclasses.replace(current, **changes)
            await _store_guild(conn, guild_id, updated)
        return updated

    # --- per-user voice ----------------------------------------------------------------------

    async def get_user_voice(self, guild_id: int, user_id: int) -> UserVoice | None:
        """The voice the member picked in this guild, or None if they never picked one."""
        async with self._read() as conn:
            return await _load_user_voice(conn, guild_id, user_id)

    async def set_user_voice(self, guild_id: int, user_id: int, voice: UserVoice) -> None:
        """Store the member's voice, speaker, speed, pitch, intonation and volume for this guild."""
        async with self._write() as conn:
            await conn.execute(
                _upsert(
                    "user_voices",
                    ("guild_id", "user_id"),
                    ("voice", "speaker", "speed", "pitch", "intonation", "volume"),
                ),
                (
                    guild_id,
                    user_id,
                    voice.voice,
                    voice.speaker,
                    voice.speed,
                    voice.pitch,
                    voice.intonation,
                    voice.volume,
                ),
            )

    async def clear_user_voice(self, guild_id: int, user_id: int) -> bool:
        """Forget the member's voice in this guild. Returns: whether there was one."""
        async with self._write() as conn:
            changed = await conn.execute(
                "DELETE FROM user_voices WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            return changed > 0

    # --- how members' names are read ---------------------------------------------------------

    async def get_name_reading(self, guild_id: int, user_id: int) -> str | None:
        """How the member asked their name to be read in this guild (None: their display name)."""

        async def load(conn: Transaction) -> str | None:
            rows = await conn.fetchall(
                "SELECT reading FROM member_names WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
            return str(rows[0][0]) if rows else None

        return await self._cached(("name", guild_id, user_id), load)

    async def set_name_reading(self, guild_id: int, user_id: int, reading: str | None) -> None:
        """Store how the member's name is read in this guild; None forgets it.

        Raises:
            StorageLimitError: empty or longer than ``MAX_NAME_READING_CHARS``.
        """
        if reading is not None and not 0 < len(reading) <= MAX_NAME_READING_CHARS:
            raise StorageLimitError(f"a name reading must be 1 to {MAX_NAME_READING_CHARS} characters")
        async with self._write() as conn:
            if reading is None:
                await conn.execute(
                    "DELETE FROM member_names WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
                )
            else:
                await conn.execute(
                    _upsert("member_names", ("guild_id", "user_id"), ("reading",)),
                    (guild_id, user_id, reading),
                )

    # --- dictionary --------------------------------------------------------------------------

    async def add_dictionary_entry(self, guild_id: int, pattern: str, reading: str) -> bool:
        """Read ``pattern`` as ``reading`` in this guild, replacing the same word's entry.

        The same word means equal after NFKC and case folding (``ＡＢＣ`` is ``abc``).

        Returns: True if an entry was replaced, False if one was added.

        Raises:
            StorageLimitError: the pattern or reading is empty or too long, or the guild's
                dictionary already holds ``max_dictionary_entries`` words.
        """
        pattern, reading = pattern.strip(), reading.strip()
        if not 0 < len(pattern) <= MAX_PATTERN_CHARS:
            raise StorageLimitError(f"a dictionary word must be 1 to {MAX_PATTERN_CHARS} characters")
        if not 0 < len(reading) <= MAX_READING_CHARS:
            raise StorageLimitError(f"a reading must be 1 to {MAX_READING_CHARS} characters")
        key = _pattern_key(pattern)
        async with self._write() as conn:
            ((count, existing),) = await conn.fetchall(
                "SELECT count(*), sum(CASE WHEN pattern_key = ? THEN 1 ELSE 0 END) FROM dictionary "
                "WHERE guild_id = ?",
                (key, guild_id),
            )
            if not existing and count >= self.max_dictionary_entries:
                raise StorageLimitError(
                    f"this server's dictionary is full ({self.max_dictionary_entries} words): "
                    "remove words you no longer need first"
                )
            await conn.execute(
                _upsert("dictionary", ("guild_id", "pattern_key"), ("pattern", "reading")),
                (guild_id, key, pattern, reading),
            )
        return bool(existing)

    async def import_dictionary(self, guild_id: int, entries: list[DictEntry]) -> tuple[int, int]:
        """Add or replace all of ``entries`` in one transaction, or none of them.

        Returns: (added, replaced).

        Raises:
            StorageLimitError: an entry is out of bounds, or the dictionary would hold more than
                ``max_dictionary_entries`` words (nothing is changed).
        """
        for entry in entries:
            if not 0 < len(entry.pattern.strip()) <= MAX_PATTERN_CHARS:
                raise StorageLimitError(f"a dictionary word must be 1 to {MAX_PATTERN_CHARS} characters")
            if not 0 < len(entry.reading.strip()) <= MAX_READING_CHARS:
                raise StorageLimitError(f"a reading must be 1 to {MAX_READING_CHARS} characters")
        new = {_pattern_key(e.pattern): e for e in entries}  # the last of equal words wins
        async with self._write() as conn:
            rows = await conn.fetchall("SELECT pattern_key FROM dictionary WHERE guild_id = ?", (guild_id,))
            present = {key for (key,) in rows}
            added = len(new.keys() - present)
            if len(present) + added > self.max_dictionary_entries:
                raise StorageLimitError(
                    f"importing would make {len(present) + added} words, over the "
                    f"{self.max_dictionary_entries} a dictionary may hold: nothing was imported"
                )
            await conn.executemany(
                _upsert("dictionary", ("guild_id", "pattern_key"), ("pattern", "reading")),
                [(guild_id, key, e.pattern.strip(), e.reading.strip()) for key, e in new.items()],
            )
        return added, len(new) - added

    async def remove_dictionary_entry(self, guild_id: int, pattern: str) -> bool:
        """Remove the word (matched like :meth:`add_dictionary_entry`). Returns: whether it was there."""
        async with self._write() as conn:
            changed = await conn.execute(
                "DELETE FROM dictionary WHERE guild_id = ? AND pattern_key = ?",
                (guild_id, _pattern_key(pattern)),
            )
            return changed > 0

    async def list_dictionary(self, guild_id: int) -> list[DictEntry]:
        """The guild's dictionary, sorted by word, ready for ``apply_dictionary``."""
        async with self._read() as conn:
            return await _load_dictionary(conn, guild_id)

    # --- reader channels ---------------------------------------------------------------------

    async def set_reader_channels(self, guild_id: int, text_channel_id: int, voice_channel_id: int) -> None:
        """Remember that the guild's reader reads ``text_channel_id`` into ``voice_channel_id``."""
        async with self._write() as conn:
            await conn.execute(
                _upsert("reader_channels", ("guild_id",), ("text_channel_id", "voice_channel_id")),
                (guild_id, text_channel_id, voice_channel_id),
            )

    async def get_reader_channels(self, guild_id: int) -> ReaderChannels | None:
        """The guild's reader channels, or None when its reader is off."""
        rows = await self._fetchall(
            "SELECT guild_id, text_channel_id, voice_channel_id FROM reader_channels WHERE guild_id = ?",
            (guild_id,),
        )
        return ReaderChannels(*rows[0]) if rows else None

    async def clear_reader_channels(self, guild_id: int) -> bool:
        """Turn the guild's reader off. Returns: whether it was on."""
        async with self._write() as conn:
            changed = await conn.execute("DELETE FROM reader_channels WHERE guild_id = ?", (guild_id,))
            return changed > 0

    async def set_autojoin(self, guild_id: int, voice_channel_id: int, text_channel_id: int) -> None:
        """When a member enters ``voice_channel_id``, join it and read ``text_channel_id``.

        Raises:
            StorageLimitError: the guild already pairs ``MAX_AUTOJOIN_CHANNELS`` voice channels.
        """
        async with self._write() as conn:
            ((count, existing),) = await conn.fetchall(
                "SELECT count(*), sum(CASE WHEN voice_channel_id = ? THEN 1 ELSE 0 END) FROM autojoin "
                "WHERE guild_id = ?",
                (voice_channel_id, guild_id),
            )
            if not existing and count >= MAX_AUTOJOIN_CHANNELS:
                raise StorageLimitError(
                    f"at most {MAX_AUTOJOIN_CHANNELS} auto-join channels per server: remove one first"
                )
            await conn.execute(
                _upsert("autojoin", ("guild_id", "voice_channel_id"), ("text_channel_id",)),
                (guild_id, voice_channel_id, text_channel_id),
            )

    async def remove_autojoin(self, guild_id: int, voice_channel_id: int) -> bool:
        """Stop auto-joining ``voice_channel_id``. Returns: whether it was paired."""
        async with self._write() as conn:
            changed = await conn.execute(
                "DELETE FROM autojoin WHERE guild_id = ? AND voice_channel_id = ?",
                (guild_id, voice_channel_id),
            )
            return changed > 0

    async def list_autojoin(self, guild_id: int) -> dict[int, int]:
        """The guild's auto-join pairs: voice channel id -> text channel id."""
        rows = await self._fetchall(
            "SELECT voice_channel_id, text_channel_id FROM autojoin WHERE guild_id = ?", (guild_id,)
        )
        return {int(voice): int(text) for voice, text in rows}

    async def all_reader_channels(self) -> list[ReaderChannels]:
        """Every guild's reader channels (to resume reading after a restart)."""
        rows = await self._fetchall(
            "SELECT guild_id, text_channel_id, voice_channel_id FROM reader_channels ORDER BY guild_id"
        )
        return [ReaderChannels(*row) for row in rows]

    # --- moving to another database ----------------------------------------------------------

    async def copy_into(self, target: Database) -> dict[str, int]:
        """Copy every row into ``target`` (both open, same schema) in one transaction of the target.

        Returns: rows copied per table.

        Raises:
            StorageError: ``target`` already holds settings (nothing is copied).
        """
        rows = {
            table: await self._fetchall(f"SELECT {', '.join(columns)} FROM {table}")
            for table, columns in TABLES.items()
        }
        async with target._write() as transaction:
            for table in TABLES:
                if await transaction.fetchall(f"SELECT 1 FROM {table} LIMIT 1"):
                    raise StorageError(
                        f"the target database already holds settings (table {table}): copy into an empty one"
                    )
            for table, columns in TABLES.items():
                if rows[table]:
                    marks = ", ".join("?" for _ in columns)
                    await transaction.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows[table]
                    )
        return {table: len(table_rows) for table, table_rows in rows.items()}

    # --- plugins and user data ---------------------------------------------------------------

    def plugin_data(self, plugin: str) -> PluginData:
        """Key-value storage private to the plugin named ``plugin``."""
        return PluginData(self, plugin)

    async def delete_user_data(self, user_id: int) -> int:
        """Forget what the user stored in every guild (their voices and plugin data).

        An admin's decision to ignore the user is the guild's moderation record, not the
        user's data, and stays: otherwise ``/forgetme`` would undo ``/reader ignore``.

        Returns: the number of records deleted.
        """
        async with self._write() as conn:
            deleted = 0
            for table in ("user_voices", "member_names", "plugin_data"):
                changed = await conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
                deleted += changed
        _log.info("deleted %d stored records about a user on request", deleted)
        return deleted


class PluginData:
    """One plugin's key-value data, optionally per guild and per user (values are JSON).

    Data stored with a ``user_id`` is removed by :meth:`Database.delete_user_data`.
    """

    def __init__(self, database: Database, plugin: str) -> None:
        if not 0 < len(plugin) <= _MAX_KEY_CHARS:
            raise StorageLimitError(f"a plugin name must be 1 to {_MAX_KEY_CHARS} characters")
        self._db = database
        self.plugin = plugin

    def _scope(self, key: str, guild_id: int | None, user_id: int | None) -> tuple[str, int, int, str]:
        if not 0 < len(key) <= _MAX_KEY_CHARS:
            raise StorageLimitError(f"a plugin data key must be 1 to {_MAX_KEY_CHARS} characters")
        return (self.plugin, guild_id or 0, user_id or 0, key)

    async def get(
        self, key: str, default: Any = None, *, guild_id: int | None = None, user_id: int | None = None
    ) -> Any:
        """The value stored under ``key`` in this scope, or ``default``."""
        rows = await self._db._fetchall(
            "SELECT value FROM plugin_data WHERE plugin = ? AND guild_id = ? AND user_id = ? AND key = ?",
            self._scope(key, guild_id, user_id),
        )
        return json.loads(rows[0][0]) if rows else default

    async def set(
        self, key: str, value: Any, *, guild_id: int | None = None, user_id: int | None = None
    ) -> None:
        """Store a JSON-serializable ``value`` under ``key`` in this scope.

        Raises:
            StorageLimitError: the value is not JSON-serializable or larger than 64 KiB.
        """
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise StorageLimitError(f"plugin {self.plugin!r} can only store JSON values: {exc}") from exc
        if len(text.encode()) > MAX_PLUGIN_VALUE_BYTES:
            raise StorageLimitError(
                f"plugin {self.plugin!r} tried to store {len(text.encode())} bytes under {key!r}: "
                f"the limit is {MAX_PLUGIN_VALUE_BYTES}"
            )
        async with self._db._write() as conn:
            await conn.execute(
                _upsert("plugin_data", ("plugin", "guild_id", "user_id", "key"), ("value",)),
                (*self._scope(key, guild_id, user_id), text),
            )

    async def delete(self, key: str, *, guild_id: int | None = None, user_id: int | None = None) -> bool:
        """Remove ``key`` from this scope. Returns: whether it was there."""
        async with self._db._write() as conn:
            changed = await conn.execute(
                "DELETE FROM plugin_data WHERE plugin = ? AND guild_id = ? AND user_id = ? AND key = ?",
                self._scope(key, guild_id, user_id),
            )
            return changed > 0

    async def keys(self, *, guild_id: int | None = None, user_id: int | None = None) -> list[str]:
        """The keys stored in this scope, sorted."""
        rows = await self._db._fetchall(
            "SELECT key FROM plugin_data WHERE plugin = ? AND guild_id = ? AND user_id = ? ORDER BY key",
            (self.plugin, guild_id or 0, user_id or 0),
        )
        return [row[0] for row in rows]
