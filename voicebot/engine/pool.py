"""A worker seen from the engine (:class:`Worker`), and the local kind: one process on this
machine (:class:`WorkerHandle`): start, send, heartbeat bookkeeping, stop, kill.

A reader thread per worker process turns pipe messages into calls on the event loop; end of
file on the pipe means the process is gone (crash, OOM kill, SIGKILL) and is reported once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from voicebot.engine.protocol import Stop, WorkerConfig
from voicebot.engine.worker import worker_main

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

    from voicebot.engine.stream import Request

__all__ = ["Worker", "WorkerHandle", "process_context", "rss_bytes"]

_log = logging.getLogger(__name__)

# Imported once by the fork server, so that workers and validators start without importing them.
_PRELOAD = ["torch", "voicebot.voices", "voicebot.engine.worker", "voicebot.engine.checks"]


def process_context() -> BaseContext:
    """A ``forkserver`` context (``spawn`` where there is none): torch and plain fork do not mix.

    The fork server imports torch once, before any thread pool exists, so each worker starts
    from a forked copy instead of importing torch again.
    """
    try:
        context = multiprocessing.get_context("forkserver")
    except ValueError:
        return multiprocessing.get_context("spawn")
    context.set_forkserver_preload(_PRELOAD)
    return context


def rss_bytes(pid: int) -> int | None:
    """Resident memory of process ``pid`` in bytes, or None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


class Worker:
    """One place where requests run, seen from the engine: its bookkeeping and the messages of
    :mod:`voicebot.engine.protocol`, whatever runs them.

    Subclasses start, message, stop and kill what runs them: :class:`WorkerHandle` a local
    process, :class:`voicebot.engine.cluster.ClusterWorker` a Ray Serve deployment. Incoming
    messages and the exit are reported on the event loop through ``on_message`` and ``on_exit``.

    Args:
        config: the worker's configuration (voices to load at start included).
        capacity: requests it keeps in flight at most.
        on_message: called on the event loop with (worker, message) for every message.
        on_exit: called once on the event loop with (worker) when it is gone.
        restarts: how many workers this slot had before (for monitoring).
        crash_streak: how many of them in a row died soon after starting (for backoff).
    """

    def __init__(
        self,
        config: WorkerConfig,
        capacity: int,
        on_message: Callable[[Worker, Any], None],
        on_exit: Callable[[Worker], None],
        restarts: int = 0,
        crash_streak: int = 0,
    ) -> None:
        self.config = config
        self.restarts = restarts
        self.crash_streak = crash_streak
        self._started_at: float | None = None
        self.capacity = capacity
        self.in_flight: dict[int, Request] = {}
        self.loaded: set[tuple[str, str]] = set()
        self.ready = False
        self.loading = 0
        self.ready_event = asyncio.Event()
        self.gone = False
        self.exited = False
        self.last_pong = time.monotonic()
        self.pid: int | None = None
        self._on_message = on_message
        self._on_exit = on_exit

    @property
    def index(self) -> int:
        """The worker's slot number (kept across restarts)."""
        return self.config.index

    @property
    def units(self) -> int:
        """How many single-worker equivalents of compute this is (admission scales with it)."""
        return 1

    @property
    def free(self) -> int:
        """How many more requests this worker takes now."""
        if not self.ready or self.gone or self.loading:
            return 0
        return self.capacity - len(self.in_flight)

    def uptime(self) -> float:
        """Seconds since it started (0 before)."""
        return 0.0 if self._started_at is None else time.monotonic() - self._started_at

    async def start(self) -> None:
        """Start it; it reports :class:`~voicebot.engine.protocol.Ready` when it takes requests."""
        raise NotImplementedError

    def send(self, message: object) -> None:
        """Send ``message``; when it is gone, nothing happens (``on_exit`` reports that)."""
        raise NotImplementedError

    def kill(self) -> None:
        """Stop it at once; its exit is reported through ``on_exit``."""
        raise NotImplementedError

    async def stop(self, timeout: float) -> None:
        """Ask it to finish, wait up to ``timeout`` seconds, then kill it."""
        raise NotImplementedError

    def reap(self) -> None:
        """Release what is left of it after its exit."""

    @property
    def exitcode(self) -> int | None:
        """How it ended (negative: killed by that signal), None while running."""
        return None

    def rss(self) -> int | None:
        """Resident memory in bytes, where it can be measured."""
        return None


class WorkerHandle(Worker):
    """A worker process on this machine and its pipe.

    Args:
        context: multiprocessing context that starts the process.
        others: as :class:`Worker`.
    """

    def __init__(
        self,
        context: BaseContext,
        config: WorkerConfig,
        capacity: int,
        on_message: Callable[[Worker, Any], None],
        on_exit: Callable[[Worker], None],
        restarts: int = 0,
        crash_streak: int = 0,
    ) -> None:
        super().__init__(config, capacity, on_message, on_exit, restarts, crash_streak)
        self._context = context
        self._conn: Connection | None = None
        self._process: Any = None
        self._send_lock = threading.Lock()

    async def start(self) -> None:
        """Start the process (in a thread: the first start launches the fork server)."""
        loop = asyncio.get_running_loop()
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main, args=(child, self.config), name=f"voicebot-worker-{self.index}", daemon=True
        )
        await asyncio.to_thread(process.start)
        self._started_at = time.monotonic()
        child.close()
        self._conn, self._process, self.pid = parent, process, process.pid
        threading.Thread(
            target=self._read_loop, args=(loop, parent), name=f"engine-reader-{self.index}", daemon=True
        ).start()

    def _read_loop(self, loop: asyncio.AbstractEventLoop, conn: Connection) -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            try:
                loop.call_soon_threadsafe(self._on_message, self, message)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._on_exit, self)

    def send(self, message: object) -> None:
        """Send ``message``; a dead pipe is ignored (the exit callback reports the death)."""
        if self._conn is None or self._conn.closed:
            return
        try:
            with self._send_lock:
                self._conn.send(message)
        except (OSError, ValueError) as exc:
            _log.debug("worker %d: send failed: %s", self.index, exc)

    def kill(self) -> None:
        """SIGKILL the process; its exit is reported through ``on_exit``."""
        if self.pid is not None and not self.exited:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    async def stop(self, timeout: float) -> None:
        """Ask the worker to exit, wait up to ``timeout`` seconds, then kill it."""
        if self._process is None:
            return
        self.send(Stop())
        self.gone = True
        await asyncio.to_thread(self._process.join, timeout)
        if self._process.is_alive():
            _log.warning("worker %d did not stop within %.1f s: killing it", self.index, timeout)
            self.kill()
            await asyncio.to_thread(self._process.join, 5.0)
        self.close()

    def reap(self) -> None:
        """Collect the exit status of a dead process and close the pipe."""
        if self._process is not None:
            self._process.join(0.1)
        self.close()

    def close(self) -> None:
        """Close the parent's end of the pipe."""
        self.gone = True
        if self._conn is not None:
            self._conn.close()

    @property
    def exitcode(self) -> int | None:
        """The process's exit code (negative: killed by that signal), None while running."""
        return None if self._process is None else self._process.exitcode

    def rss(self) -> int | None:
        """Resident memory of the process in bytes."""
        return rss_bytes(self.pid) if self.pid is not None and not self.gone else None
