"""Admission by deadlines: refuse a new request at once rather than make every stream stutter.

A stream that is playing needs a steady share of a worker: its voice's cost, in worker-seconds
per second of audio (the real-time factor of that voice on this machine, learned from the
compute time workers report with each chunk). A guild plays one message at a time, so its
admitted requests are one stream (at the cost of its dearest voice), whatever its backlog;
a request without a guild is a stream of its own. The streams add up to a load in workers;
when a new request would take the load past what the live workers can sustain (with some
headroom for first chunks and jitter), it is refused with ``EngineBusy`` while
the promises already made are kept.

First chunks are a second budget: each costs the sentence's whole plan (text encoder,
durations, pitch) besides its audio, and they are all due at once. When the first chunks
still owed, this one included, would take the workers longer than ``first_budget_s``, the
request is refused too: its first audio would come late and the streams that just started
would run dry meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

__all__ = ["Admission"]


class Admission:
    """Per-voice cost estimates and the admission rule.

    Args:
        utilization: the share of each worker that streams may take together. Chunks double in
            length, so a burst of streams keeps flowing while each next chunk fits in the time
            the one before it plays. Streams started together compute their first two chunks in
            one pass each (about 60% of the cost of computing them alone), which leaves the
            second chunks of a burst room up to about half of each worker. Measured with
            ``voicebot bench e2e`` on 2 cores (the cost then includes the bot's share of the
            CPU): 0.5 let 32 servers start at once and 5 of 94 messages stuttered; 0.35 refused
            a third of those bursts and none stuttered, and took every message of 16 servers.
        prior_cost: the cost assumed for a voice before any of its chunks was measured.
        smoothing: weight of a new measurement in the exponential average.
    """

    def __init__(
        self,
        utilization: float = 0.35,
        first_budget_s: float = 0.2,
        prior_cost: float = 0.05,
        smoothing: float = 0.05,
    ) -> None:
        self.utilization = utilization
        self.first_budget_s = first_budget_s
        self.prior_cost = prior_cost
        self.smoothing = smoothing
        self._costs: dict[str, _Ratio] = {}  # voice -> compute s per audio s
        self._firsts: dict[str, _Ratio] = {}  # voice -> compute s per first chunk

    def observe(self, voice: str, compute_s: float, audio_s: float, first: bool = False) -> None:
        """Learn from one chunk: ``compute_s`` of worker time made ``audio_s`` of ``voice``;
        ``first`` when it was a request's first chunk.

        Compute and audio are averaged separately and divided, so a short, dear first chunk
        weighs by its length, not as much as a long one. Streams started together report their
        batch's time with the first of them and next to nothing with the others, so every
        observation weighs the same from the first one on: the batch's first report alone
        would otherwise stand for all of it.
        """
        if audio_s <= 0 or compute_s < 0:
            return
        if first:
            self._firsts.setdefault(voice, _Ratio()).add(compute_s, 1.0, self.smoothing)
        self._costs.setdefault(voice, _Ratio()).add(compute_s, audio_s, self.smoothing)

    def cost(self, voice: str) -> float:
        """Worker-seconds per second of audio of ``voice`` (its real-time factor here)."""
        ratio = self._costs.get(voice)
        return self.prior_cost if ratio is None else ratio.value

    def first_cost(self, voice: str) -> float:
        """Worker-seconds of a first chunk of ``voice`` (zero until one was measured)."""
        ratio = self._firsts.get(voice)
        return 0.0 if ratio is None else ratio.value

    @staticmethod
    def _per_stream(requests: Iterable[tuple[Hashable, str]], cost: Callable[[str], float]) -> float:
        """Sum of ``cost`` over streams: a guild's requests are one stream (its dearest voice),
        a request without a guild (None) is one of its own."""
        streams: dict[Hashable, float] = {}
        alone = 0.0
        for guild, voice in requests:
            if guild is None:
                alone += cost(voice)
            else:
                streams[guild] = max(streams.get(guild, 0.0), cost(voice))
        return alone + sum(streams.values())

    def load(self, requests: Iterable[tuple[Hashable, str]]) -> float:
        """Workers needed to keep every stream of ``requests`` (``(guild, voice)`` per admitted,
        unfinished request; guild None for none) playing."""
        return self._per_stream(requests, self.cost)

    def admits(
        self,
        admitted: Iterable[tuple[Hashable, str]],
        guild: Hashable,
        voice: str,
        workers: int,
        owed_first: Iterable[tuple[Hashable, str]] = (),
    ) -> bool:
        """Whether a request of ``guild`` for ``voice`` fits beside the ``admitted`` ones on
        ``workers`` workers, ``owed_first`` being those (``(guild, voice)``) whose first chunk
        is still to come (a guild plays its messages in turn: one first chunk each is owed now).

        A request is always admitted when nothing else is: an idle engine serves even a voice
        slower than real time (the validator bounds how slow a voice may be).
        """
        admitted = list(admitted)
        if not admitted:
            return workers > 0
        firsts = self._per_stream([*owed_first, (guild, voice)], self.first_cost)
        return (
            self.load([*admitted, (guild, voice)]) <= self.utilization * workers
            and firsts <= self.first_budget_s * workers
        )


class _Ratio:
    """Exponentially weighted averages of a numerator and a denominator, and their ratio.

    Both start at zero rather than at the first observation, so the first one weighs as much
    as the next (the zero start scales both averages alike and cancels in the ratio).
    """

    def __init__(self) -> None:
        self._numerator = 0.0
        self._denominator = 0.0

    def add(self, numerator: float, denominator: float, smoothing: float) -> None:
        self._numerator += smoothing * (numerator - self._numerator)
        self._denominator += smoothing * (denominator - self._denominator)

    @property
    def value(self) -> float:
        return self._numerator / self._denominator
