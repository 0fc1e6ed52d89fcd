"""Deadline scheduling and admission with a fake clock and fake synthesis costs: deterministic."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from voicebot.engine.admission import Admission
from voicebot.engine.deadlines import FIRST_DUE_S, MARGIN_S, Playback, earliest, playback_gaps

# Seconds of audio per chunk of a neural voice's 20-character message: 24 frames, then 96, 128, the rest.
CHUNKS = [0.26, 1.02, 1.37, 0.3]
FIRST, LATER = CHUNKS[0], CHUNKS[2]
# Worker seconds of a chunk, as measured for the small model on one core: a fixed part per chunk
# (decoder context on both sides), a part per second of audio, and the sentence's plan (text
# encoder, durations, pitch) in the first chunk.
PER_CHUNK, PER_SECOND, PLAN = 0.0085, 0.0103, 0.010


def chunk_cost(index: int, seconds: float, scale: float = 1.0) -> float:
    return scale * (PER_CHUNK + PER_SECOND * seconds + (PLAN if index == 0 else 0.0))


@dataclass
class FakeRequest:
    """A request whose chunks cost :func:`chunk_cost` times ``scale`` (a slower machine)."""

    name: str
    arrives: float
    chunks: list[float]
    scale: float
    playback: Playback = field(init=False)
    produced_at: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.playback = Playback(self.arrives)

    def underruns(self) -> list[float]:
        """Gaps a listener hears: a chunk produced after the audio before it finished playing."""
        return playback_gaps(self.produced_at, self.chunks)


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
        index = len(chosen.produced_at)
        duration = chosen.chunks[index]
        now += chunk_cost(index, duration, chosen.scale)
        chosen.playback.produced_chunk(duration, now)
        chosen.produced_at.append(now)
        if len(chosen.produced_at) == len(chosen.chunks):
            active.remove(chosen)
    return now


def _burst(count: int, scale: float = 1.0, spacing: float = 0.0) -> list[FakeRequest]:
    return [FakeRequest(f"r{i}", i * spacing, list(CHUNKS), scale) for i in range(count)]


def test_a_burst_of_8_gets_every_first_chunk_early_and_never_runs_dry() -> None:
    # 8 messages at once on one worker: 16 at once on the 2-core machine's two workers.
    fifo = _burst(8)
    simulate(fifo, deadline_first=False)
    edf = _burst(8)
    simulate(edf)
    first_fifo = max(r.produced_at[0] - r.arrives for r in fifo)
    first_edf = max(r.produced_at[0] - r.arrives for r in edf)
    assert first_fifo > 0.5  # the last one waited for seven whole messages
    assert first_edf <= 8 * chunk_cost(0, FIRST) + chunk_cost(1, CHUNKS[1]) + 1e-9  # firsts come first
    assert all(not r.underruns() for r in edf)


def test_deadlines_are_met_in_order() -> None:
    requests = _burst(8, spacing=0.01)
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
    long.produced_chunk(LATER, now=0.05)  # 1.63 s delivered from 0.01: due at 1.54
    new = Playback(submitted_at=0.40)  # due at 0.48
    assert earliest([("long", long), ("new", new)]) == "new"
    assert long.slack(0.40) == pytest.approx(0.01 + FIRST + LATER - MARGIN_S - 0.40)
    started = Playback(submitted_at=0.0)
    started.produced_chunk(FIRST, now=0.2)  # due at 0.2 + 0.26 - 0.1 = 0.36: about to run dry
    assert earliest([("new", new), ("started", started)]) == "started"


def test_playback_gaps_are_the_silences_a_listener_hears() -> None:
    assert playback_gaps([], []) == []
    assert playback_gaps([0.0, 0.9, 2.0], [1.0, 1.0, 1.0]) == []  # each before the one before ran out
    # The second chunk is 0.5 s late; playback resumes when it comes (at 1.5), so the fourth,
    # arriving at 3.0, is exactly on time rather than a second gap.
    assert playback_gaps([0.0, 1.5, 2.4, 3.0], [1.0, 1.0, 0.5, 1.0]) == pytest.approx([0.5])


def test_a_retry_owes_its_skipped_chunks_at_once() -> None:
    retry = Playback(submitted_at=5.0, skip=2)
    retry.produced_chunk(FIRST, now=6.0)
    assert retry.deadline == pytest.approx(5.0 + FIRST_DUE_S) and retry.first_at is None  # still due
    retry.produced_chunk(LATER, now=6.1)
    retry.produced_chunk(LATER, now=6.2)
    assert retry.first_at == 6.2 and retry.deadline == pytest.approx(6.2 + LATER - MARGIN_S)


def test_admission_refuses_what_the_worker_cannot_keep_flowing() -> None:
    admission = Admission(utilization=0.3, first_budget_s=0.2)
    for _ in range(20):
        for index, seconds in enumerate(CHUNKS):
            admission.observe("neural", chunk_cost(index, seconds), seconds, first=index == 0)
    assert admission.cost("neural") == pytest.approx(
        sum(chunk_cost(i, s) for i, s in enumerate(CHUNKS)) / sum(CHUNKS), rel=0.02
    )
    admitted: list[tuple[object, str]] = []
    for guild in range(40):
        if not admission.admits(admitted, guild, "neural", 1, owed_first=admitted):
            break
        admitted.append((guild, "neural"))
    assert len(admitted) == 9  # 9 first chunks owed at once fit in 0.2 s of one worker
    # A guild's backlog is one stream: its next message fits when a new guild's does not (with
    # their first chunks delivered, only the load counts).
    assert admission.admits(admitted, 3, "neural", 1)
    assert admission.admits(admitted, 99, "neural", 1)
    many = [(guild, "neural") for guild in range(12)]
    assert not admission.admits(many, 99, "neural", 1)  # 13 x 0.025 > 0.3 of the worker
    assert admission.admits(many, 99, "neural", 2)
    assert admission.admits([], 1, "neural", 1) and not admission.admits([], 1, "neural", 0)

    # What admission admits at once, the deadline scheduler serves without a gap.
    requests = _burst(len(admitted))
    simulate(requests)
    assert all(not r.underruns() for r in requests)
    # Twice as many at once, and streams stutter: this is what refusing protects.
    overloaded = _burst(2 * len(admitted))
    simulate(overloaded)
    assert any(r.underruns() for r in overloaded)


def test_a_batched_start_is_learned_as_its_cost_per_stream() -> None:
    # Eight streams started together: the first to report carries the batch's 0.08 s, the
    # others find their chunks computed. Each stream's first chunk cost 0.01 s of the worker.
    admission = Admission(utilization=1.0, first_budget_s=0.2)  # only first chunks are measured
    for member in range(8):
        admission.observe("neural", 0.08 if member == 0 else 0.0001, FIRST, first=True)
    assert admission.first_cost("neural") == pytest.approx(0.01, rel=0.25)
    assert admission.cost("neural") == pytest.approx(0.01 / FIRST, rel=0.25)
    # So a burst of 16 owes 0.16 s of first chunks, which two workers start within budget.
    burst = [(guild, "neural") for guild in range(15)]
    assert admission.admits(burst, 15, "neural", 2, owed_first=burst)
