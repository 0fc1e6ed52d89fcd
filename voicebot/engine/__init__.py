"""The TTS engine: a pool of worker processes that stream synthesized speech to asyncio callers.

See :class:`Engine`. Everything outside this package uses only the names exported here.
"""

from __future__ import annotations

from voicebot.engine.engine import Engine, EngineTuning
from voicebot.engine.errors import (
    EngineBusy,
    EngineUnavailable,
    SynthesisFailed,
    SynthesisTimeout,
    UnknownVoice,
    VoiceRejected,
)
from voicebot.engine.registry import OPENJTALK
from voicebot.engine.stream import SynthesisStream
from voicebot.engine.values import AudioChunk, VoiceInfo, WorkerInfo

__all__ = [
    "OPENJTALK",
    "AudioChunk",
    "Engine",
    "EngineBusy",
    "EngineTuning",
    "EngineUnavailable",
    "SynthesisFailed",
    "SynthesisStream",
    "SynthesisTimeout",
    "UnknownVoice",
    "VoiceInfo",
    "VoiceRejected",
    "WorkerInfo",
]
