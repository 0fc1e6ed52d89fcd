"""A bounded queue that serves guilds round-robin, so one busy guild cannot starve another."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

__all__ = ["FairQueue", "QueueFull"]

T = TypeVar("T")


class QueueFull(Exception):
    """Raised by :meth:`FairQueue.put` when the queue holds ``maxsize`` items."""


class FairQueue(Generic[T]):
    """Per-key FIFO queues served round-robin, with one bound on the total.

    Each key (a guild) has its own FIFO; :meth:`pop` takes the head of the next key in
    rotation, so a key with 100 items waiting delays another key's first item by at most one
    item. The total is bounded: :meth:`put` raises :class:`QueueFull` instead of growing.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._queues: OrderedDict[Hashable, deque[T]] = OrderedDict()
        self._size = 0

    def __iter__(self) -> Iterator[T]:
        """Every queued item, in no particular order."""
        for items in self._queues.values():
            yield from items

    def __len__(self) -> int:
        return self._size

    def put(self, key: Hashable, item: T) -> None:
        """Append ``item`` to ``key``'s queue; raise :class:`QueueFull` when the total is at the bound."""
        if self._size >= self.maxsize:
            raise QueueFull
        self._queues.setdefault(key, deque()).append(item)
        self._size += 1

    def put_front(self, key: Hashable, item: T) -> None:
        """Put ``item`` first in line for ``key`` and ``key`` first in the rotation (for retries).

        Retries bypass the bound: the item was already accepted once.
        """
        self._queues.setdefault(key, deque()).appendleft(item)
        self._queues.move_to_end(key, last=False)
        self._size += 1

    def pop(self) -> T:
        """Remove and return the head of the next key in rotation; ``IndexError`` when empty."""
        item = self.pop_eligible(lambda _: True)
        if item is None:
            raise IndexError("pop from an empty FairQueue")
        return item

    def pop_eligible(self, eligible: Callable[[Hashable], bool]) -> T | None:
        """Remove and return the head of the next key in rotation for which ``eligible(key)``
        holds (the others keep their place); None when there is none."""
        for key in self._queues:  # a key may be None: no sentinel of None here
            if eligible(key):
                break
        else:
            return None
        queue = self._queues[key]
        item = queue.popleft()
        self._size -= 1
        if queue:
            self._queues.move_to_end(key)
        else:
            del self._queues[key]
        return item

    def remove(self, key: Hashable, item: T) -> bool:
        """Remove ``item`` (compared by identity) from ``key``'s queue; return whether it was there."""
        queue = self._queues.get(key)
        if queue is None:
            return False
        for index, queued in enumerate(queue):
            if queued is item:
                del queue[index]
                self._size -= 1
                if not queue:
                    del self._queues[key]
                return True
        return False
