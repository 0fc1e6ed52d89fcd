"""Helpers shared by the subcommands: settings and logging set up once per invocation."""

from __future__ import annotations

from voicebot.config import Settings, get_settings
from voicebot.logs import setup_logging

__all__ = ["init"]


def init(verbose: bool = False) -> Settings:
    """Load settings (raising a readable ConfigError) and configure logging."""
    settings = get_settings()
    setup_logging("DEBUG" if verbose else settings.log_level, secrets=[settings.token or ""])
    return settings
