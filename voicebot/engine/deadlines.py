"""Playback deadlines: which request a worker should advance next so that no stream runs dry.

A request's first chunk is due when the request was submitted: someone is waiting to hear it.
Every later chunk is due when the audio already delivered would have finished playing,
counted from the first chunk's delivery, minus a safety margin. A worker keeps several
requests in flight and always advances the one due first (earliest deadline first), so a new
message overtakes continuations whose audio is not needed for seconds.

Everything here is plain arithmetic on times passed in, so it is tested with a fake clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["FIRST_DUE_S", "MARGIN_S", "Playback", "earliest", "playback_gaps"]

T = TypeVar("T")

MARGIN_S = 0.1
"""Seconds before a stream would run dry by which its next chunk is due (the pipe, the Opus
encoder and the 20 ms packet clock take their share). Less than a first chunk lasts (0.17 s),
or a second chunk could never be on time."""


FIRST_DUE_S = 0.08
"""Seconds after submission by which a first chunk is due: soon, but a stream that has just
started and is about to run dry (its next chunk due within this) goes first."""


@dataclass
class Playback:
    """The playback clock of one request, as the worker sees it.

    Attributes:
        submitted_at: when the request was submitted (``time.monotonic()``; the clock is shared
            by the processes of one machine).
        skip: chunks an earlier attempt already delivered: they are due at once, being the gap
            a listener is already hearing.
        margin: see :data:`MARGIN_S`.
        first_at: when the first chunk was delivered (None before).
        delivered_s: seconds of audio delivered so far.
        produced: chunks produced so far, skipped ones included.
    """

    submitted_at: float
    skip: int = 0
    margin: float = MARGIN_S
    first_at: float | None = None
    delivered_s: float = 0.0
    produced: int = 0

    @property
    def deadline(self) -> float:
        """When the next chunk is due."""
        if self.first_at is None or self.produced < self.skip:
            return self.submitted_at + FIRST_DUE_S
        return self.first_at + self.delivered_s - self.margin

    def produced_chunk(self, seconds: float, now: float) -> None:
        """Record a chunk of ``seconds`` of audio produced at ``now`` (delivered unless skipped)."""
        if self.produced >= self.skip:
            if self.first_at is None:
                self.first_at = now
            self.delivered_s += seconds
        self.produced += 1

    def slack(self, now: float) -> float:
        """Seconds until the next chunk is due (negative: late)."""
        return self.deadline - now


def earliest(items: Iterable[tuple[T, Playback]]) -> T | None:
    """The item whose playback is due first; ties go to the one submitted first."""
    best: tuple[float, float] | None = None
    chosen: T | None = None
    for item, playback in items:
        key = (playback.deadline, playback.submitted_at)
        if best is None or key < best:
            best, chosen = key, item
    return chosen


def playback_gaps(arrivals: Sequence[float], durations: Sequence[float]) -> list[float]:
    """The silences a listener hears: chunk ``i`` arriving at ``arrivals[i]`` after the audio
    before it (``durations`` seconds each, playing from the first arrival) has run out.
    Playback resumes when the late chunk arrives, so later chunks are judged from there.

    Returns: the length of each gap, in order (empty: the stream never ran dry).
    """
    gaps: list[float] = []
    if not arrivals:
        return gaps
    start, played = arrivals[0], 0.0
    for at, duration in zip(arrivals, durations, strict=False):
        if at > start + played:
            gaps.append(at - (start + played))
            start = at - played
        played += duration
    return gaps
