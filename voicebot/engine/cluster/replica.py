"""One Ray Serve replica: the local worker loop (:mod:`voicebot.engine.worker`) on a thread,
behind a streaming method.

The replica talks to its worker over an in-process pipe with the engine's own messages, so a
replica schedules its requests by playback deadline exactly as a worker process does. Voices
come from the :class:`~voicebot.engine.cluster.store.VoiceStore` on first use (or at start,
for the latest versions, and after each health check, so that an upload reaches every replica
before its first request); a version is dropped once no bot process holds it, and requests
still running on it finish on it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import multiprocessing
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from voicebot.config import Precision
from voicebot.engine.cluster.store import NAMESPACE, STORE_NAME, voice_version
from voicebot.engine.protocol import (
    Cancel,
    Chunk,
    Done,
    DropVoice,
    Failed,
    LoadVoice,
    Ready,
    Stop,
    Synthesize,
    VoiceLoaded,
    VoiceLoadFailed,
    VoiceSpec,
    WorkerConfig,
)
from voicebot.engine.registry import OPENJTALK
from voicebot.engine.worker import worker_main
from voicebot.voices import VOICE_SUFFIX

__all__ = ["ReplicaConfig", "SynthesisReplica"]

_log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ReplicaConfig:
    """How every replica of the deployment runs."""

    device: str
    torch_threads: int
    compile: bool
    precision: Precision


class SynthesisReplica:
    """Synthesizes requests as a stream of :class:`~voicebot.engine.protocol.Chunk` messages.

    Used as a Ray Serve deployment (see :func:`voicebot.engine.cluster.deploy.application`).
    """

    def __init__(self, config: ReplicaConfig) -> None:
        import ray

        self._store = ray.get_actor(STORE_NAME, namespace=NAMESPACE)
        self._dir = Path(tempfile.mkdtemp(prefix="voicebot-replica-"))
        self._ids = itertools.count(1)
        self._streams: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Queue[object]]] = {}
        self._loads: dict[tuple[str, str], tuple[asyncio.AbstractEventLoop, asyncio.Future[str | None]]] = {}
        self._loaded: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._following: asyncio.Task[None] | None = None
        latest = [self._spec(name, version) for name, version in ray.get(self._store.latest.remote())]
        specs = (VoiceSpec(OPENJTALK, "builtin", None), *(spec for spec in latest if spec is not None))
        worker_config = WorkerConfig(
            index=0,
            device=config.device,
            torch_threads=config.torch_threads,
            compile=config.compile,
            compile_cache_dir=self._dir / "torch-compile",
            voices=specs,
            precision=config.precision,
        )
        self._conn, child = multiprocessing.Pipe(duplex=True)
        self._worker = threading.Thread(target=worker_main, args=(child, worker_config), daemon=True)
        self._worker.start()
        threading.Thread(target=self._read_loop, name="replica-reader", daemon=True).start()
        if not self._ready.wait(600):
            raise RuntimeError("the replica's worker did not start within 600 s")

    def _spec(self, name: str, version: str) -> VoiceSpec | None:
        """Fetch a voice file from the store into this replica's folder (None: nobody holds it)."""
        import ray

        data = ray.get(self._store.get.remote(name, version))
        if data is None or voice_version(data) != version:
            return None
        path = self._dir / version / f"{name}{VOICE_SUFFIX}"  # a voice is named after its file
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        return VoiceSpec(name, version, path)

    def _read_loop(self) -> None:
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                return
            if isinstance(message, Ready):
                self._ready.set()
            elif isinstance(message, VoiceLoaded | VoiceLoadFailed):
                key = (message.name, message.version)
                # The voice is in memory (or failed): its copy on disk is not needed any more.
                (self._dir / message.version / f"{message.name}{VOICE_SUFFIX}").unlink(missing_ok=True)
                if isinstance(message, VoiceLoaded):
                    with self._lock:
                        self._loaded.add(key)
                waiting = self._loads.pop(key, None)
                if waiting is not None:
                    loop, future = waiting
                    reason = message.reason if isinstance(message, VoiceLoadFailed) else None
                    loop.call_soon_threadsafe(_resolve, future, reason)
            elif isinstance(message, Chunk | Done | Failed):
                stream = self._streams.get(message.request_id)
                if stream is not None:
                    loop, queue = stream
                    loop.call_soon_threadsafe(queue.put_nowait, message)

    async def _ensure_loaded(self, name: str, version: str) -> str | None:
        """Load the version unless it is loaded; returns why it cannot be, or None. Concurrent
        callers for one version share one fetch and one load."""
        key = (name, version)
        if key in self._loaded:
            return None
        waiting = self._loads.get(key)
        if waiting is None:
            loop = asyncio.get_running_loop()
            waiting = self._loads[key] = (loop, loop.create_future())
            try:
                spec = (
                    VoiceSpec(name, version, None)
                    if name == OPENJTALK
                    else await asyncio.to_thread(self._spec, name, version)
                )
            except BaseException:  # cancelled or the store failed: the next caller tries again
                del self._loads[key]
                _resolve(waiting[1], f"voice {name!r} ({version}) could not be fetched")
                raise
            if spec is None:
                del self._loads[key]
                _resolve(waiting[1], f"voice {name!r} ({version}) is no longer offered by any bot process")
            else:
                self._conn.send(LoadVoice(spec))
        return await asyncio.shield(waiting[1])

    async def _follow_store(self) -> None:
        """Load the latest version of every voice ahead of its first request, and drop the
        versions no bot process holds any more."""
        latest, held = await asyncio.gather(self._store.latest.remote(), self._store.held.remote())
        held_keys = {tuple(key) for key in held}
        with self._lock:  # the reader thread adds to it
            gone = [k for k in self._loaded if k[0] != OPENJTALK and k not in held_keys]
            self._loaded.difference_update(gone)
        for key in gone:
            self._conn.send(DropVoice(*key))
        for name, version in latest:
            problem = await self._ensure_loaded(name, version)
            if problem is not None:
                _log.warning("replica: %s", problem)

    async def synthesize(self, request: Synthesize) -> AsyncIterator[Chunk | Failed]:
        """Stream ``request``'s chunks (its ``skip`` first ones are not sent), then stop; a
        failure is the last item, as a :class:`~voicebot.engine.protocol.Failed`."""
        problem = await self._ensure_loaded(request.voice, request.version)
        if problem is not None:
            yield Failed(request.request_id, problem)
            return
        rid = next(self._ids)
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._streams[rid] = (asyncio.get_running_loop(), queue)
        finished = False
        try:
            # The bot's clock is not this machine's: the first chunk is due on arrival. Serve
            # spreads a burst over replicas, so the rest of it may never come here.
            self._conn.send(
                dataclasses.replace(request, request_id=rid, submitted_at=time.monotonic(), more=False)
            )
            while True:
                message = await queue.get()
                if isinstance(message, Done):
                    finished = True
                    return
                if isinstance(message, Failed):
                    finished = True
                    yield Failed(request.request_id, message.reason)
                    return
                yield message
        finally:
            del self._streams[rid]
            if not finished:  # cancelled by the caller: free the worker at the next chunk
                self._conn.send(Cancel(rid))

    async def check_health(self) -> None:
        """Serve's health check (every 2 s): the worker thread must be alive. It also brings the
        replica's voices up to date with the store, in the background."""
        if not self._worker.is_alive():
            raise RuntimeError("the replica's synthesis worker stopped")
        if self._following is None or self._following.done():
            self._following = asyncio.get_running_loop().create_task(self._follow_store())

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # never started, or already closed
            self._conn.send(Stop())
        folder = getattr(self, "_dir", None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _resolve(future: asyncio.Future[str | None], reason: str | None) -> None:
    if not future.done():
        future.set_result(reason)
