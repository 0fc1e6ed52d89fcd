"""Graceful stop: SIGINT/SIGTERM only record a request; the training loop saves and exits.

A second Ctrl-C while the checkpoint is being written interrupts at once, as usual.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType, TracebackType

__all__ = ["StopRequest", "ignore_stop_signals"]

_log = logging.getLogger(__name__)


class StopRequest:
    """Context manager; ``reason`` is None until a signal arrives or the time limit passes."""

    def __init__(self, time_limit_s: float | None = None) -> None:
        self.reason: str | None = None
        self._deadline = time.monotonic() + time_limit_s if time_limit_s else None
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.reason is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.reason = signal.Signals(signum).name
        _log.warning("%s received: saving a checkpoint and stopping (Ctrl-C again to abort)", self.reason)

    def check(self) -> str | None:
        """The reason to stop now, if any (a signal, or "time limit")."""
        if self.reason is None and self._deadline is not None and time.monotonic() >= self._deadline:
            self.reason = "time limit"
        return self.reason

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def ignore_stop_signals(worker_id: int) -> None:
    """DataLoader ``worker_init_fn``: workers leave SIGINT/SIGTERM to the main process.

    Ctrl-C reaches the whole process group; a worker that died of it would break the batch
    the main process still needs while it finishes its step and saves.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
