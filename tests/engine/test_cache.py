"""The phrase cache: keyed by voice version and parameters, bounded in bytes, LRU."""

from __future__ import annotations

import numpy as np

from voicebot.engine.cache import PhraseCache, PhraseKey
from voicebot.model import PitchControl


def _key(text: str, version: str = "v1", speed: float = 1.0) -> PhraseKey:
    return PhraseKey("kumo", version, None, speed, PitchControl(), text)


def test_hit_returns_the_stored_audio() -> None:
    cache = PhraseCache(max_bytes=10_000)
    audio = np.linspace(-1, 1, 100, dtype=np.float32)
    cache.put(_key("こんにちは"), audio, 24000)
    samples, rate = cache.get(_key("こんにちは"))  # type: ignore[misc]
    assert rate == 24000
    np.testing.assert_array_equal(samples, audio)
    assert not samples.flags.writeable


def test_other_version_or_speed_misses() -> None:
    cache = PhraseCache(max_bytes=10_000)
    cache.put(_key("URL"), np.zeros(10, np.float32), 24000)
    assert cache.get(_key("URL", version="v2")) is None
    assert cache.get(_key("URL", speed=1.5)) is None
    assert cache.get(PhraseKey("kumo", "v1", None, 1.0, PitchControl(semitones=2), "URL")) is None


def test_bytes_bound_evicts_least_recently_used() -> None:
    cache = PhraseCache(max_bytes=1000)  # 250 float32 samples
    for text in ("a", "b", "c"):
        cache.put(_key(text), np.zeros(100, np.float32), 24000)
    assert cache.nbytes <= 1000
    assert cache.get(_key("a")) is None
    assert cache.get(_key("c")) is not None


def test_a_hit_makes_a_phrase_recently_used() -> None:
    cache = PhraseCache(max_bytes=800)  # room for two of these
    cache.put(_key("a"), np.zeros(100, np.float32), 24000)
    cache.put(_key("b"), np.zeros(100, np.float32), 24000)
    assert cache.get(_key("a")) is not None  # "a" is now the most recent
    cache.put(_key("c"), np.zeros(100, np.float32), 24000)
    assert cache.get(_key("b")) is None  # the least recently used went, not the oldest
    assert cache.get(_key("a")) is not None and cache.get(_key("c")) is not None


def test_long_texts_and_oversized_audio_are_not_kept() -> None:
    cache = PhraseCache(max_bytes=1000, max_chars=5)
    cache.put(_key("とても長いメッセージ"), np.zeros(10, np.float32), 24000)
    cache.put(_key("短い"), np.zeros(1000, np.float32), 24000)
    assert len(cache) == 0


def test_discard_voice_forgets_all_versions() -> None:
    cache = PhraseCache(max_bytes=10_000)
    cache.put(_key("a", "v1"), np.zeros(10, np.float32), 24000)
    cache.put(_key("a", "v2"), np.zeros(10, np.float32), 24000)
    cache.put(PhraseKey("other", "v1", None, 1.0, PitchControl(), "a"), np.zeros(10, np.float32), 24000)
    cache.discard_voice("kumo")
    assert len(cache) == 1
    assert cache.nbytes == 40
