"""Errors raised by the model on inputs it cannot speak."""

from __future__ import annotations

from voicebot.errors import VoicebotError

__all__ = ["ModelInputError"]


class ModelInputError(VoicebotError):
    """Ids, speakers, lengths or a speed given to the model are out of range."""
