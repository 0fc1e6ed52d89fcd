"""Values the engine hands to its callers: audio chunks and voice descriptions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AudioChunk", "VoiceInfo", "WorkerInfo"]


@dataclass(frozen=True, eq=False)
class AudioChunk:
    """A piece of one utterance, in the order it is to be played.

    Attributes:
        samples: float32 mono audio of shape (S,).
        sample_rate: samples per second of ``samples``.
        voice: name of the voice that spoke it.
        version: version (content hash) of that voice; every chunk of one request carries the same.
    """

    samples: np.ndarray
    sample_rate: int
    voice: str = ""
    version: str = ""


@dataclass(frozen=True)
class VoiceInfo:
    """A voice the engine can speak with.

    Attributes:
        name: the name requests use (the file name without ``.safetensors``, or ``openjtalk``).
        display_name: human-readable name from the voice file.
        speakers: speaker names, in id order; the first one is the default.
        sample_rate: output sample rate in Hz.
        version: first 16 hex digits of the file's SHA-256 (``builtin`` for Open JTalk).
        controls: what users can change besides speed: ``pitch``, ``intonation``.
    """

    name: str
    display_name: str
    speakers: tuple[str, ...]
    sample_rate: int
    version: str
    controls: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkerInfo:
    """A snapshot of one worker process, for monitoring and benchmarks."""

    index: int
    pid: int | None
    alive: bool
    in_flight: int
    restarts: int
    rss_bytes: int | None
