"""Errors raised by the engine; each message says what the user or the admin can do."""

from __future__ import annotations

from voicebot.errors import VoicebotError

__all__ = [
    "EngineBusy",
    "EngineUnavailable",
    "SynthesisFailed",
    "SynthesisTimeout",
    "UnknownVoice",
    "VoiceRejected",
]


class EngineBusy(VoicebotError):
    """The request queue is full; the request was not accepted."""


class EngineUnavailable(VoicebotError):
    """The engine cannot start: its synthesis cluster is unreachable or refused the deployment."""


class UnknownVoice(VoicebotError):
    """No voice (or no speaker of a voice) has the requested name."""


class SynthesisTimeout(VoicebotError):
    """A request did not finish within its time limit; its synthesis was stopped."""


class SynthesisFailed(VoicebotError):
    """A request could not be synthesized (the voice raised, or its worker died twice)."""


class VoiceRejected(VoicebotError):
    """A voice file failed validation and was not activated; the previous version keeps serving."""
