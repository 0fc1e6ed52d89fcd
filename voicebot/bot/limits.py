"""Per-user rate limiting: at most ``count`` requests in any ``seconds`` long window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Sliding-window limiter keyed by any hashable (e.g. ``(guild_id, user_id)``).

    Args:
        count: requests allowed per window.
        seconds: window length.
        clock: monotonic time source (injectable for tests).
    """

    def __init__(self, count: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._count = count
        self._seconds = seconds
        self._clock = clock
        self._hits: dict[object, deque[float]] = {}

    def hit(self, key: object) -> float:
        """Record a request for ``key``.

        Returns:
            0.0 when allowed (and counted); otherwise the seconds to wait (not counted).
        """
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self._seconds:
            hits.popleft()
        if len(hits) >= self._count:
            return self._seconds - (now - hits[0])
        hits.append(now)
        return 0.0

    def forget(self, key: object) -> None:
        """Drop what is known about ``key`` (used when a user's data is deleted)."""
        self._hits.pop(key, None)
