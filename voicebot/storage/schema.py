"""The database schema as ordered migration steps.

Step ``i`` (counting from 1) takes a database from ``PRAGMA user_version`` ``i - 1`` to
``i``. Steps are append-only: once released, a step never changes; a new column or table
is a new step. Each step runs in the same transaction as the version bump.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "TABLES"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE guild_settings (
            guild_id INTEGER PRIMARY KEY,
            default_voice TEXT,
            language TEXT NOT NULL DEFAULT 'ja',
            max_chars INTEGER,
            read_names INTEGER NOT NULL DEFAULT 1,
            read_bots INTEGER NOT NULL DEFAULT 0,
            read_joins INTEGER NOT NULL DEFAULT 0,
            auto_join INTEGER NOT NULL DEFAULT 0,
            skip_prefixes TEXT NOT NULL DEFAULT '[]'
        )""",
        """CREATE TABLE ignored_users (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            PRIMARY KEY (guild_id, user_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX ignored_users_by_user ON ignored_users (user_id)",
        """CREATE TABLE user_voices (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            voice TEXT NOT NULL,
            speaker TEXT,
            speed REAL NOT NULL DEFAULT 1.0,
            PRIMARY KEY (guild_id, user_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX user_voices_by_user ON user_voices (user_id)",
        """CREATE TABLE dictionary (
            guild_id INTEGER NOT NULL,
            pattern_key TEXT NOT NULL,
            pattern TEXT NOT NULL,
            reading TEXT NOT NULL,
            PRIMARY KEY (guild_id, pattern_key)
        ) WITHOUT ROWID""",
        """CREATE TABLE reader_channels (
            guild_id INTEGER PRIMARY KEY,
            text_channel_id INTEGER NOT NULL,
            voice_channel_id INTEGER NOT NULL
        )""",
        """CREATE TABLE plugin_data (
            plugin TEXT NOT NULL,
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (plugin, guild_id, user_id, key)
        ) WITHOUT ROWID""",
        "CREATE INDEX plugin_data_by_user ON plugin_data (user_id) WHERE user_id != 0",
    ),
    (
        "ALTER TABLE user_voices ADD COLUMN pitch REAL NOT NULL DEFAULT 0.0",
        "ALTER TABLE user_voices ADD COLUMN intonation REAL NOT NULL DEFAULT 1.0",
    ),
    (
        "ALTER TABLE guild_settings ADD COLUMN name_suffix TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE guild_settings ADD COLUMN name_repeat_seconds INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE guild_settings ADD COLUMN voice_members_only INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE guild_settings ADD COLUMN required_role INTEGER",
        "ALTER TABLE guild_settings ADD COLUMN read_replies INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE guild_settings ADD COLUMN text_in_voice INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE guild_settings ADD COLUMN read_urls INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE guild_settings ADD COLUMN read_emoji INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE guild_settings ADD COLUMN read_custom_emoji INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE guild_settings ADD COLUMN read_attachments INTEGER NOT NULL DEFAULT 1",
        """CREATE TABLE autojoin (
            guild_id INTEGER NOT NULL,
            voice_channel_id INTEGER NOT NULL,
            text_channel_id INTEGER NOT NULL,
            PRIMARY KEY (guild_id, voice_channel_id)
        ) WITHOUT ROWID""",
        "ALTER TABLE user_voices ADD COLUMN volume REAL NOT NULL DEFAULT 1.0",
        """CREATE TABLE member_names (
            guild_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            reading TEXT NOT NULL,
            PRIMARY KEY (guild_id, user_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX member_names_by_user ON member_names (user_id)",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

TABLES: dict[str, tuple[str, ...]] = {
    "guild_settings": (
        "guild_id",
        "default_voice",
        "language",
        "max_chars",
        "read_names",
        "read_bots",
        "read_joins",
        "auto_join",
        "skip_prefixes",
        "name_suffix",
        "name_repeat_seconds",
        "voice_members_only",
        "required_role",
        "read_replies",
        "text_in_voice",
        "read_urls",
        "read_emoji",
        "read_custom_emoji",
        "read_attachments",
    ),
    "ignored_users": ("guild_id", "user_id"),
    "user_voices": ("guild_id", "user_id", "voice", "speaker", "speed", "pitch", "intonation", "volume"),
    "dictionary": ("guild_id", "pattern_key", "pattern", "reading"),
    "reader_channels": ("guild_id", "text_channel_id", "voice_channel_id"),
    "plugin_data": ("plugin", "guild_id", "user_id", "key", "value"),
    "autojoin": ("guild_id", "voice_channel_id", "text_channel_id"),
    "member_names": ("guild_id", "user_id", "reading"),
}
"""Every table and column after the last step (what ``voicebot db migrate-to`` copies)."""
