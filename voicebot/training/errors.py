"""Errors raised by the training pipeline; each message says what to do next."""

from __future__ import annotations

from voicebot.errors import VoicebotError

__all__ = ["CheckpointError", "DataError", "TrainingError"]


class DataError(VoicebotError):
    """A data folder (source corpus or prepared dataset) is missing or unusable."""


class CheckpointError(VoicebotError):
    """No usable checkpoint could be read from a run folder."""


class TrainingError(VoicebotError):
    """Training cannot start or continue (wrong device, run folder from another setup, ...)."""
