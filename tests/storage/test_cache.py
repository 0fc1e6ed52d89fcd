"""ReadCache: what is kept, what is dropped, and reads overtaken by a change."""

from __future__ import annotations

from voicebot.storage.cache import MISSING, ReadCache


def test_a_read_under_way_when_the_cache_is_emptied_is_not_kept() -> None:
    cache = ReadCache()
    generation = cache.generation
    cache.clear()  # a write ended while the read was waiting for the database
    cache.put("guild", "settings from before the write", generation)
    assert cache.get("guild") is MISSING


def test_the_least_recently_used_value_goes_first() -> None:
    cache = ReadCache(max_entries=2)
    cache.put("a", 1, cache.generation)
    cache.put("b", None, cache.generation)
    assert cache.get("a") == 1  # now "b" is the oldest
    cache.put("c", 3, cache.generation)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, MISSING, 3)
