"""Helpers shared by the subcommands: settings and logging set up once per invocation."""

from __future__ import annotations

import argparse
import logging
import re

from voicebot.config import Settings, get_settings, unknown_variables
from voicebot.logs import setup_logging

_log = logging.getLogger("voicebot")

__all__ = ["help_text", "init", "positive_int"]


def init(verbose: bool = False) -> Settings:
    """Load settings (raising a readable ConfigError) and configure logging."""
    settings = get_settings()
    setup_logging("DEBUG" if verbose else settings.log_level, secrets=settings.secrets())
    for line in unknown_variables(settings):
        _log.warning("%s", line)
    return settings


def help_text(docstring: str | None) -> str:
    """A module docstring as ``--help`` text: reStructuredText markup removed."""
    return re.sub(r"``([^`]*)``", r"\1", (docstring or "").replace("::\n", ":\n"))


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value
