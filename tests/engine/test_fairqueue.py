"""The per-guild round-robin queue: bounded, fair, retries first."""

from __future__ import annotations

import pytest

from voicebot.engine.fairqueue import FairQueue, QueueFull


def test_one_busy_guild_delays_another_by_at_most_one_item() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=100)
    for i in range(20):
        queue.put("A", f"a{i}")
    queue.put("B", "b0")
    order = [queue.pop() for _ in range(len(queue))]
    assert order.index("b0") <= 1
    assert [item for item in order if item.startswith("a")] == [f"a{i}" for i in range(20)]


def test_guilds_alternate() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=10)
    for item in ("a1", "a2", "a3"):
        queue.put("A", item)
    for item in ("b1", "b2"):
        queue.put("B", item)
    assert [queue.pop() for _ in range(5)] == ["a1", "b1", "a2", "b2", "a3"]


def test_full_queue_refuses_instead_of_growing() -> None:
    queue: FairQueue[int] = FairQueue(maxsize=3)
    for i in range(3):
        queue.put(i % 2, i)
    with pytest.raises(QueueFull):
        queue.put("other", 99)
    assert len(queue) == 3


def test_put_front_goes_first_even_when_full() -> None:
    queue: FairQueue[str] = FairQueue(maxsize=2)
    queue.put("A", "a1")
    queue.put("B", "b1")
    queue.put_front("B", "retry")
    assert [queue.pop() for _ in range(3)] == ["retry", "a1", "b1"]


def test_remove_by_identity() -> None:
    queue: FairQueue[list[int]] = FairQueue(maxsize=5)
    first, second = [1], [1]
    queue.put("A", first)
    queue.put("A", second)
    assert queue.remove("A", second)
    assert not queue.remove("A", second)
    assert queue.pop() is first
    assert len(queue) == 0
    with pytest.raises(IndexError):
        queue.pop()
