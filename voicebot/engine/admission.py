"""Admission by deadlines: refuse a new request at once rather than make every stream stutter.

A stream that is playing needs a steady share of a worker: its voice's cost, in worker-seconds
per second of audio (the real-time factor of that voice on this machine, learned from the
compute time workers report with each chunk). A guild plays one message at a time, so its
admitted requests are one stream (at the cost of its dearest voice), whatever its backlog;
a request without a guild is a stream of its own. The streams add up to a load in workers;
when a new request would take the load past what the live workers can sustain (with some
headroom for first chunks and jitter), it is refused with ``EngineBusy`` while
the promises already made are kept.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

__all__ = ["Admission"]


class Admission:
    """Per-voice cost estimates and the admission rule.

    Args:
        utilization: the share of each worker that streams may take together. Chunks double in
            length, so a burst of streams keeps flowing while each next chunk (twice the cost of
            the one playing) fits in the time the current one plays: 2 x utilization < 1, with
            room left for noise in the estimates.
        prior_cost: the cost assumed for a voice before any of its chunks was measured.
        smoothing: weight of a new measurement in the exponential average.
    """

    def __init__(self, utilization: float = 0.4, prior_cost: float = 0.05, smoothing: float = 0.1) -> None:
        self.utilization = utilization
        self.prior_cost = prior_cost
        self.smoothing = smoothing
        self._costs: dict[str, float] = {}

    def observe(self, voice: str, compute_s: float, audio_s: float) -> None:
        """Learn from one chunk: ``compute_s`` of worker time made ``audio_s`` of ``voice``."""
        if audio_s <= 0 or compute_s < 0:
            return
        measured = compute_s / audio_s
        previous = self._costs.get(voice)
        self._costs[voice] = (
            measured if previous is None else previous + self.smoothing * (measured - previous)
        )

    def cost(self, voice: str) -> float:
        """Worker-seconds per second of audio of ``voice`` (its real-time factor here)."""
        return self._costs.get(voice, self.prior_cost)

    def load(self, requests: Iterable[tuple[Hashable, str]]) -> float:
        """Workers needed to keep every stream of ``requests`` (``(guild, voice)`` per admitted,
        unfinished request; guild None for none) playing."""
        streams: dict[Hashable, float] = {}
        alone = 0.0
        for guild, voice in requests:
            if guild is None:
                alone += self.cost(voice)
            else:
                streams[guild] = max(streams.get(guild, 0.0), self.cost(voice))
        return alone + sum(streams.values())

    def admits(
        self, admitted: Iterable[tuple[Hashable, str]], guild: Hashable, voice: str, workers: int
    ) -> bool:
        """Whether a request of ``guild`` for ``voice`` fits beside the ``admitted`` ones on
        ``workers`` workers.

        A request is always admitted when nothing else is: an idle engine serves even a voice
        slower than real time (the validator bounds how slow a voice may be).
        """
        admitted = list(admitted)
        if not admitted:
            return workers > 0
        return self.load([*admitted, (guild, voice)]) <= self.utilization * workers
