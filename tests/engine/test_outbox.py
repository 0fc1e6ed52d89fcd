"""The outbox: requests of one event-loop turn reach each worker as one burst."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from voicebot.engine.outbox import Outbox
from voicebot.engine.pool import Worker
from voicebot.engine.protocol import Cancel, Synthesize, WorkerConfig
from voicebot.model.pitch import PitchControl


class _Recorder(Worker):
    """A worker that keeps what it is sent."""

    def __init__(self, index: int) -> None:
        super().__init__(WorkerConfig(index, "cpu", 1, False, Path(), ()), 4, lambda *_: None, lambda _: None)
        self.sent: list[Any] = []

    def send(self, message: object) -> None:
        self.sent.append(message)


def _request(rid: int) -> Synthesize:
    return Synthesize(rid, "テスト", "default", "v1", None, 1.0, PitchControl())


async def test_a_turns_requests_reach_each_worker_as_one_burst() -> None:
    outbox, a, b = Outbox(), _Recorder(0), _Recorder(1)
    for rid, worker in ((1, a), (2, b), (3, a), (4, a)):
        outbox.post(worker, _request(rid))
    assert a.sent == b.sent == []  # held until the turn ends
    await asyncio.sleep(0)
    assert [(m.request_id, m.more) for m in a.sent] == [(1, True), (3, True), (4, False)]
    assert [(m.request_id, m.more) for m in b.sent] == [(2, False)]  # alone: no one to wait for


async def test_a_cancel_never_overtakes_its_request() -> None:
    outbox, worker = Outbox(), _Recorder(0)
    outbox.post(worker, _request(1))
    outbox.send(worker, Cancel(1))
    assert [type(m) for m in worker.sent] == [Synthesize, Cancel]
    await asyncio.sleep(0)
    assert len(worker.sent) == 2  # sent once


def test_without_an_event_loop_a_request_goes_at_once() -> None:
    outbox, worker = Outbox(), _Recorder(0)
    outbox.post(worker, _request(1))
    assert [(m.request_id, m.more) for m in worker.sent] == [(1, False)]
