"""Errors of the settings database."""

from __future__ import annotations

from voicebot.errors import VoicebotError

__all__ = ["StorageError", "StorageLimitError"]


class StorageError(VoicebotError):
    """The settings database cannot be opened, read or written; the message says what to do."""


class StorageLimitError(StorageError):
    """A value is refused because it is too long, too large or a list is full."""
