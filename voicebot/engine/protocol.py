"""Messages between the engine (asyncio, parent process) and its worker processes.

They travel over a ``multiprocessing`` pipe between our own processes; nothing read from
disk or the network is ever unpickled. Audio travels as float32 numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicebot.config import Precision
from voicebot.model import PitchControl

__all__ = [
    "Cancel",
    "Chunk",
    "Done",
    "DropVoice",
    "Failed",
    "LoadVoice",
    "Lost",
    "Ping",
    "Pong",
    "Ready",
    "Stop",
    "Synthesize",
    "VoiceLoadFailed",
    "VoiceLoaded",
    "VoiceSpec",
    "WorkerConfig",
]


@dataclass(frozen=True)
class VoiceSpec:
    """Which voice file a worker loads: ``path`` None is the built-in Open JTalk voice."""

    name: str
    version: str
    path: Path | None


@dataclass(frozen=True)
class WorkerConfig:
    """Everything a worker needs to start, fixed for its lifetime."""

    index: int
    device: str
    torch_threads: int
    compile: bool
    compile_cache_dir: Path
    voices: tuple[VoiceSpec, ...]
    max_batch: int = 1
    precision: Precision = "float32"


# --- engine -> worker ----------------------------------------------------------------------


@dataclass(frozen=True)
class Synthesize:
    """Speak ``text``; the first ``skip`` chunks were already delivered (a retry) and are not sent.

    ``submitted_at`` (``time.monotonic()``, shared by the processes of a machine) is when the
    first chunk was due: it orders the worker's requests (see :mod:`voicebot.engine.deadlines`).
    ``more``: the engine sends this worker another request right after this one (a burst); the
    worker takes that one in before advancing either, so they start in one batch.
    """

    request_id: int
    text: str
    voice: str
    version: str
    speaker: str | None
    speed: float
    pitch: PitchControl
    skip: int = 0
    submitted_at: float = 0.0
    more: bool = False


@dataclass(frozen=True)
class Cancel:
    """Stop request ``request_id`` at the next chunk boundary and free the worker."""

    request_id: int


@dataclass(frozen=True)
class LoadVoice:
    """Load ``spec`` next to the versions already loaded (answered by VoiceLoaded or VoiceLoadFailed)."""

    spec: VoiceSpec


@dataclass(frozen=True)
class DropVoice:
    """Forget a version of a voice; requests still running on it keep their reference until done."""

    name: str
    version: str


@dataclass(frozen=True)
class Ping:
    """Heartbeat; answered by the worker's receiver thread with :class:`Pong`."""

    seq: int


@dataclass(frozen=True)
class Stop:
    """Exit after the current chunk."""


# --- worker -> engine ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    """The worker has loaded its voices (and compiled and warmed them up) and takes requests;
    ``dtype`` is what it computes in (see :func:`voicebot.engine.runtime.resolve_precision`),
    None where the worker cannot tell (a cluster replica decides on its own machine)."""

    pid: int
    dtype: str | None = None


@dataclass(frozen=True)
class Chunk:
    """One piece of audio of shape (S,), float32, for request ``request_id``; ``compute_s`` is
    the worker time it took (the engine's admission learns the voice's cost from it)."""

    request_id: int
    samples: np.ndarray
    sample_rate: int
    compute_s: float = 0.0


@dataclass(frozen=True)
class Done:
    """Request ``request_id`` has sent its last chunk (or was cancelled)."""

    request_id: int


@dataclass(frozen=True)
class Failed:
    """Request ``request_id`` raised in the worker; ``reason`` is readable."""

    request_id: int
    reason: str


@dataclass(frozen=True)
class Lost:
    """Request ``request_id`` lost the machine running it (a cluster replica died); the engine
    retries it elsewhere, resuming after the chunks already delivered, as after a crash."""

    request_id: int


@dataclass(frozen=True)
class VoiceLoaded:
    """Answer to :class:`LoadVoice`: the version is loaded and can serve."""

    name: str
    version: str


@dataclass(frozen=True)
class VoiceLoadFailed:
    """Answer to :class:`LoadVoice`: the version could not be loaded; ``reason`` is readable."""

    name: str
    version: str
    reason: str


@dataclass(frozen=True)
class Pong:
    """Heartbeat answer; ``stalled_s`` is how long the current request has made no progress (0 when idle)."""

    seq: int
    stalled_s: float
