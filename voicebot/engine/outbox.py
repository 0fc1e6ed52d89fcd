"""Messages to workers, with the requests of one event-loop turn sent as a burst.

Messages arrive from many tasks in the same turn (sixteen servers' ``/say`` at once each call
:meth:`~voicebot.engine.Engine.synthesize` in its own task), so no single call knows that more
are coming. The outbox holds the requests until the turn ends, then sends each worker its share
back to back, every one but the last marked :attr:`~voicebot.engine.protocol.Synthesize.more`:
the worker starts them in one batch instead of the first alone and the rest behind it, and a
lone request is never held up waiting for company.
"""

from __future__ import annotations

import asyncio
import dataclasses

from voicebot.engine.pool import Worker
from voicebot.engine.protocol import Synthesize

__all__ = ["Outbox"]


class Outbox:
    """Sends messages to workers in the order they were given (see the module docstring)."""

    def __init__(self) -> None:
        self._held: dict[Worker, list[Synthesize]] = {}

    def post(self, worker: Worker, request: Synthesize) -> None:
        """Send ``request`` to ``worker`` when this event-loop turn ends (at once without a loop)."""
        if not self._held:
            try:
                asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:
                worker.send(request)
                return
        self._held.setdefault(worker, []).append(request)

    def send(self, worker: Worker, message: object) -> None:
        """Send ``message`` now, after the requests held so far (a cancel never overtakes its request)."""
        self.flush()
        worker.send(message)

    def flush(self) -> None:
        """Send every held request."""
        held, self._held = self._held, {}
        for worker, requests in held.items():
            for request in requests[:-1]:
                worker.send(dataclasses.replace(request, more=True))
            worker.send(requests[-1])
