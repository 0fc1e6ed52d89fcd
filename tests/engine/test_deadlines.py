"""Deadline scheduling and admission with a fake clock and fake synthesis costs: deterministic."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from voicebot.engine.admission import Admission
from voicebot.engine.deadlines import MARGIN_S, Playback, earliest

# Seconds of audio per chunk of a neural voice's 20-character message: 16 frames, doubling to 128.
CHUNKS = [0.17, 0.34, 0.68, 1.37]
FIRST, LATER = CHUNKS[0], CHUNKS[-1]


@dataclass
class FakeRequest:
    """A request whose chunks cost ``rtf`` seconds of worker time per second of audio."""

    name: str
    arrives: float
    chunks: list[float]
    rtf: float
    playback: Playback = field(init=False)
    produced_at: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.playback = Playback(self.arrives)

    def underruns(self) -> list[float]:
        """Gaps a listener hears: a chunk produced after the audio before it finished playing."""
        if not self.produced_at:
            return []
        start, played, gaps = self.produced_at[0], 0.0, []
        for duration, at in zip(self.chunks, self.produced_at, strict=False):
            if at > start + played + 1e-9:
                gaps.append(at - (start + played))
                start += at - (start + played)  # playback resumes when the chunk arrives
            played += duration
        return gaps


def simulate(requests: list[FakeRequest], deadline_first: bool = True) -> float:
    """Run one worker on a fake clock until every request is spoken; returns the end time.

    ``deadline_first`` False is the old worker: each request runs to its end, in arrival order.
    """
    now = 0.0
    pending = sorted(requests, key=lambda r: r.arrives)
    active: list[FakeRequest] = []
    while pending or active:
        while pending and pending[0].arrives <= now:
            active.append(pending.pop(0))
        if not active:
            now = pending[0].arrives
            continue
        chosen = earliest((r, r.playback) for r in active) if deadline_first else active[0]
        assert chosen is not None
        duration = chosen.chunks[len(chosen.produced_at)]
        now += chosen.rtf * duration
        chosen.playback.produced_chunk(duration, now)
        chosen.produced_at.append(now)
        if len(chosen.produced_at) == len(chosen.chunks):
            active.remove(chosen)
    return now


def _burst(count: int, rtf: float, spacing: float = 0.0) -> list[FakeRequest]:
    return [FakeRequest(f"r{i}", i * spacing, list(CHUNKS), rtf) for i in range(count)]


def test_a_burst_of_16_gets_every_first_chunk_early_and_never_runs_dry() -> None:
    # 16 messages at once on one worker at RTF 0.025 (a worker's share of 2 cores, compile off).
    # Each next chunk is twice as long as the one before, so all 16 next chunks (2 x 16 x 0.025
    # = 0.8 of the time the current ones play) are computed in time.
    fifo = _burst(16, 0.025)
    simulate(fifo, deadline_first=False)
    edf = _burst(16, 0.025)
    simulate(edf)
    first_fifo = max(r.produced_at[0] - r.arrives for r in fifo)
    first_edf = max(r.produced_at[0] - r.arrives for r in edf)
    assert first_fifo > 0.9  # the last one waited for fifteen whole messages
    assert first_edf <= 16 * 0.025 * FIRST + 1e-9  # only the other first chunks come before it
    assert all(not r.underruns() for r in edf)


def test_deadlines_are_met_in_order() -> None:
    requests = _burst(8, 0.05, spacing=0.01)
    simulate(requests)
    firsts = [r.produced_at[0] for r in requests]
    assert firsts == sorted(firsts)  # first chunks in arrival order
    for r in requests:  # every later chunk before the audio before it runs out
        for index in range(1, len(r.chunks)):
            assert r.produced_at[index] <= r.produced_at[0] + sum(r.chunks[:index]), (r.name, index)
        assert not r.underruns()


def test_a_new_request_preempts_a_continuation_with_slack() -> None:
    long = Playback(submitted_at=0.0)
    long.produced_chunk(FIRST, now=0.01)
    long.produced_chunk(LATER, now=0.05)  # 1.54 s delivered from 0.01: due at 1.45
    new = Playback(submitted_at=0.40)
    assert earliest([("long", long), ("new", new)]) == "new"
    assert long.slack(0.40) == pytest.approx(0.01 + FIRST + LATER - MARGIN_S - 0.40)
    late = Playback(submitted_at=0.0)
    late.produced_chunk(FIRST, now=0.0)  # due at 0.17 - 0.1: before the new one, due at 0.40
    assert earliest([("new", new), ("late", late)]) == "late"


def test_a_retry_owes_its_skipped_chunks_at_once() -> None:
    retry = Playback(submitted_at=5.0, skip=2)
    retry.produced_chunk(FIRST, now=6.0)
    assert retry.deadline == 5.0 and retry.first_at is None  # not delivered: still due
    retry.produced_chunk(LATER, now=6.1)
    retry.produced_chunk(LATER, now=6.2)
    assert retry.first_at == 6.2 and retry.deadline == pytest.approx(6.2 + LATER - MARGIN_S)


def test_admission_refuses_what_the_worker_cannot_keep_flowing() -> None:
    admission = Admission(utilization=0.401)  # float sums: 8 x 0.05 is not exactly 0.4
    for _ in range(20):
        admission.observe("neural", compute_s=0.05 * LATER, audio_s=LATER)
    assert admission.cost("neural") == pytest.approx(0.05)
    admitted: list[tuple[object, str]] = []
    for guild in range(40):
        if not admission.admits(admitted, guild, "neural", workers=1):
            break
        admitted.append((guild, "neural"))
    assert len(admitted) == 8  # 8 x 0.05 = 0.4 of one worker
    # A guild's backlog is one stream: its next message fits when a new guild's does not.
    assert admission.admits(admitted, 3, "neural", workers=1)
    assert not admission.admits(admitted, 99, "neural", workers=1)
    assert admission.admits(admitted, 99, "neural", workers=2)
    assert admission.admits([], 1, "neural", workers=1) and not admission.admits([], 1, "neural", workers=0)

    # What admission admits, the deadline scheduler serves without a gap.
    requests = _burst(len(admitted), admission.cost("neural"))
    simulate(requests)
    assert all(not r.underruns() for r in requests)
    # Past it, streams stutter: this is what refusing protects.
    overloaded = _burst(20, admission.cost("neural"))
    simulate(overloaded)
    assert any(r.underruns() for r in overloaded)
