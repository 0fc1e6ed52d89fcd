"""The settings database: guild settings, per-user voices, dictionaries, reader channels, plugin data.

One SQLite file (WAL mode) reached through aiosqlite; its schema is migrated in place with a
backup written first, and a file that is damaged, locked, foreign or newer is refused with a
:class:`StorageError`, never overwritten.
"""

from __future__ import annotations

from voicebot.storage.database import (
    BOT_DICTIONARY,
    DATABASE_FILE,
    MAX_PLUGIN_VALUE_BYTES,
    Database,
    PluginData,
)
from voicebot.storage.errors import StorageError, StorageLimitError
from voicebot.storage.records import (
    MAX_AUTOJOIN_CHANNELS,
    MAX_IGNORED_USERS,
    MAX_NAME_READING_CHARS,
    MAX_NAME_REPEAT_SECONDS,
    MAX_NAME_SUFFIX_CHARS,
    MAX_PATTERN_CHARS,
    MAX_READING_CHARS,
    MAX_SPEED,
    MAX_VOLUME,
    MIN_SPEED,
    MIN_VOLUME,
    GuildSettings,
    ReaderChannels,
    SpeechSettings,
    UserVoice,
)
from voicebot.storage.schema import SCHEMA_VERSION

__all__ = [
    "BOT_DICTIONARY",
    "DATABASE_FILE",
    "MAX_AUTOJOIN_CHANNELS",
    "MAX_IGNORED_USERS",
    "MAX_NAME_READING_CHARS",
    "MAX_NAME_REPEAT_SECONDS",
    "MAX_NAME_SUFFIX_CHARS",
    "MAX_PATTERN_CHARS",
    "MAX_PLUGIN_VALUE_BYTES",
    "MAX_READING_CHARS",
    "MAX_SPEED",
    "MAX_VOLUME",
    "MIN_SPEED",
    "MIN_VOLUME",
    "SCHEMA_VERSION",
    "Database",
    "GuildSettings",
    "PluginData",
    "ReaderChannels",
    "SpeechSettings",
    "StorageError",
    "StorageLimitError",
    "UserVoice",
]
