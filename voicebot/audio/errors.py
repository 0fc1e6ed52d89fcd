"""Errors of the audio path."""

from __future__ import annotations

from voicebot.errors import VoicebotError

__all__ = ["AudioError"]


class AudioError(VoicebotError):
    """Audio handed to the audio path cannot be played (wrong shape, rate or state)."""
