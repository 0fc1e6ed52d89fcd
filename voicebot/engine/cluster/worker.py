"""The whole Ray Serve deployment as one worker of the engine.

The engine sends it the messages it sends a worker process and gets the same answers:
each request becomes a streaming call to the deployment (Serve picks the replica), voice
loads become puts into the cluster's voice store, heartbeats are answered here (Serve checks
its replicas' health itself). A request whose replica dies is reported
:class:`~voicebot.engine.protocol.Lost`, so the engine retries it, resuming after the chunks
already delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from voicebot.config import Settings
from voicebot.engine.pool import Worker
from voicebot.engine.protocol import (
    Cancel,
    Done,
    DropVoice,
    Failed,
    LoadVoice,
    Lost,
    Ping,
    Pong,
    Ready,
    Stop,
    Synthesize,
    VoiceLoaded,
    VoiceLoadFailed,
    WorkerConfig,
)

__all__ = ["ClusterWorker"]

_log = logging.getLogger(__name__)

_COUNT_REPLICAS_S = 5.0


class ClusterWorker(Worker):
    """Requests run on the replicas of the cluster's synthesis deployment.

    Args:
        settings: the ``ray_*`` settings say where the cluster is and how replicas are sized.
        capacity: requests one replica runs at once (the whole cluster takes that many per
            replica it may grow to).
        others: as :class:`~voicebot.engine.pool.Worker`.
    """

    def __init__(
        self,
        settings: Settings,
        config: WorkerConfig,
        capacity: int,
        on_message: Callable[[Worker, Any], None],
        on_exit: Callable[[Worker], None],
        restarts: int = 0,
        crash_streak: int = 0,
    ) -> None:
        cluster_capacity = capacity * settings.ray_max_replicas
        super().__init__(config, cluster_capacity, on_message, on_exit, restarts, crash_streak)
        self._settings = settings
        self._max_ongoing = capacity
        self._store: Any = None  # the VoiceStore actor
        self._handle: Any = None  # the deployment's DeploymentHandle
        self._holder = f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._calls: dict[int, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._replicas = settings.ray_min_replicas
        self._counted_at = 0.0

    @property
    def units(self) -> int:
        """Replicas running now (at least one): each is worth one local worker."""
        return max(1, self._replicas)

    async def start(self) -> None:
        """Join the cluster (deploying the application if needed), then report ready.

        Raises:
            voicebot.engine.EngineUnavailable: the cluster is unreachable or the deployment did
                not start.
        """
        from voicebot.engine.cluster.deploy import deployment, join

        self._started_at = time.monotonic()
        self._store = await asyncio.to_thread(join, self._settings)
        for spec in self.config.voices:  # first: a new deployment's replicas start with them
            await self._load(LoadVoice(spec))
        self._handle = await asyncio.to_thread(deployment, self._settings, self._max_ongoing)
        self.pid = os.getpid()
        self._on_message(self, Ready(self.pid))

    def send(self, message: object) -> None:
        """Turn ``message`` into calls on the cluster; answers arrive through ``on_message``."""
        if self.gone or self._handle is None:
            return
        if isinstance(message, Synthesize):
            task = asyncio.get_running_loop().create_task(self._synthesize(message))
            self._calls[message.request_id] = task
            task.add_done_callback(lambda _, rid=message.request_id: self._calls.pop(rid, None))
        elif isinstance(message, Cancel):
            call = self._calls.pop(message.request_id, None)
            if call is not None:
                call.cancel()
                self._on_message(self, Done(message.request_id))
        elif isinstance(message, LoadVoice):
            self._spawn(self._load(message))
        elif isinstance(message, DropVoice):
            self._spawn(self._drop(message))
        elif isinstance(message, Ping):
            self._on_message(self, Pong(message.seq, 0.0))
            if time.monotonic() - self._counted_at > _COUNT_REPLICAS_S:
                self._counted_at = time.monotonic()
                self._spawn(self._count_replicas())
        elif isinstance(message, Stop):
            self._cancel_all()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _synthesize(self, request: Synthesize) -> None:
        from ray.exceptions import RayActorError  # also ActorDiedError and ActorUnavailableError

        rid = request.request_id

        try:
            stream = self._handle.options(stream=True).synthesize.remote(request)
            try:
                async for item in stream:
                    self._on_message(self, dataclasses.replace(item, request_id=rid))
                    if isinstance(item, Failed):
                        return
            except asyncio.CancelledError:
                stream.cancel()
                raise
            self._on_message(self, Done(rid))
        except RayActorError as exc:
            _log.warning("request %d: its replica is gone (%s)", rid, type(exc).__name__)
            self._on_message(self, Lost(rid))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # anything else Serve raises fails this request, readably
            _log.warning("request %d failed on the cluster", rid, exc_info=True)
            self._on_message(self, Failed(rid, f"the synthesis cluster failed ({type(exc).__name__})"))

    async def _load(self, message: LoadVoice) -> None:
        spec = message.spec
        try:
            if spec.path is not None:
                data = await asyncio.to_thread(spec.path.read_bytes)
                await self._store.put.remote(spec.name, spec.version, data, self._holder)
        except Exception as exc:  # the store refused it or is unreachable: the voice is not offered
            self._on_message(self, VoiceLoadFailed(spec.name, spec.version, f"the Ray cluster: {exc}"))
            return
        self._on_message(self, VoiceLoaded(spec.name, spec.version))

    async def _drop(self, message: DropVoice) -> None:
        with contextlib.suppress(Exception):  # a store that is gone has nothing left to drop
            await self._store.drop.remote(message.name, message.version, self._holder)

    async def _count_replicas(self) -> None:
        from voicebot.engine.cluster.deploy import replica_count

        count = await asyncio.to_thread(replica_count)
        if count is not None:
            self._replicas = count

    def _cancel_all(self) -> None:
        for call in list(self._calls.values()):
            call.cancel()
        self._calls.clear()

    def kill(self) -> None:
        """Abandon every call in flight and report the exit (the engine retries the requests on
        a new one)."""
        if self.exited:
            return
        self._cancel_all()
        asyncio.get_running_loop().call_soon(self._on_exit, self)

    async def stop(self, timeout: float) -> None:
        """Cancel what is in flight and release the deployment's handle; the cluster and its
        replicas keep running for others."""
        self.gone = True
        self._cancel_all()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
        if self._handle is not None:
            # Its router's threads would otherwise keep calling Ray, reconnecting this process.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._handle.shutdown_async(), timeout)
