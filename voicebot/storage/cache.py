"""Settings read on every message, kept in memory until they may have changed.

A message is read with its server's settings and dictionary, the bot's dictionary and the
member's voice: five queries, each a trip to the database and back through a busy event loop.
In a burst of sixteen servers at once those trips took 19 ms (p50) and 34 ms (p95) of every
message's wait for its first audio. Kept here, they cost nothing until something changes.

:class:`~voicebot.storage.Database` empties the cache when any of its writes ends, and when
the backend's change marker (:meth:`~voicebot.storage.backend.Backend.change_marker`) shows a
write by another connection: the ``voicebot dict`` command, another shard on Postgres.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["MISSING", "ReadCache"]

MISSING = object()
"""What :meth:`ReadCache.get` returns for a key it does not hold (None is a value)."""


class ReadCache:
    """Values of reads by key, least recently used dropped first.

    A read that was under way while the cache was emptied may have seen the data from before
    the change: :meth:`put` ignores what was read in an older :attr:`generation`.

    Args:
        max_entries: values kept at most.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._max_entries = max_entries
        self.generation = 0
        """Goes up each time the cache is emptied; take it before reading what you will put."""

    def get(self, key: Hashable) -> object:
        """The value kept for ``key``, else :data:`MISSING`."""
        value = self._values.get(key, MISSING)
        if value is not MISSING:
            self._values.move_to_end(key)
        return value

    def put(self, key: Hashable, value: object, generation: int) -> None:
        """Keep ``value``, read when :attr:`generation` was ``generation``, unless it has moved on."""
        if generation != self.generation:
            return
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self._max_entries:
            self._values.popitem(last=False)

    def clear(self) -> None:
        """Forget everything, including reads still under way."""
        self._values.clear()
        self.generation += 1
