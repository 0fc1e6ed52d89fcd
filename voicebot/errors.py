"""Typed exceptions shared across voicebot.

Every error a user can trigger derives from :class:`VoicebotError` and carries a message
that is readable as it is: the CLI prints it on one line, the bot replies with it.
"""

from __future__ import annotations

__all__ = ["ConfigError", "VoicebotError"]


class VoicebotError(Exception):
    """Base class of voicebot's own errors; ``str(err)`` is a readable, actionable message."""


class ConfigError(VoicebotError):
    """A setting (environment variable, ``.env`` or config file) has a wrong value."""
