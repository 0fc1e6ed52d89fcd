"""An LRU cache of short, frequent utterances (names, greetings, 「URL」), bounded in bytes."""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from voicebot.model import PitchControl

__all__ = ["PhraseCache", "PhraseKey"]


class PhraseKey(NamedTuple):
    """What makes two utterances identical: the voice version and every request parameter."""

    voice: str
    version: str
    speaker: str | None
    speed: float
    pitch: PitchControl
    text: str


class PhraseCache:
    """Finished audio of short texts, least recently used evicted first.

    Args:
        max_bytes: bound on the summed ``nbytes`` of the stored audio; 0 disables the cache.
        max_chars: only texts up to this many characters are stored.
    """

    def __init__(self, max_bytes: int, max_chars: int = 24) -> None:
        self.max_bytes = max_bytes
        self.max_chars = max_chars
        self._items: OrderedDict[PhraseKey, tuple[np.ndarray, int]] = OrderedDict()
        self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Bytes of audio held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def accepts(self, text: str) -> bool:
        """Whether an utterance of ``text`` is short enough to be cached."""
        return self.max_bytes > 0 and 0 < len(text) <= self.max_chars

    def get(self, key: PhraseKey) -> tuple[np.ndarray, int] | None:
        """The cached ``(samples of shape (S,), sample_rate)`` for ``key``, marking it recently used."""
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: PhraseKey, samples: np.ndarray, sample_rate: int) -> None:
        """Store read-only audio of shape (S,) for ``key``, evicting the least recently used to fit."""
        if not self.accepts(key.text) or samples.nbytes > self.max_bytes:
            return
        self.discard(key)
        samples = samples.copy()
        samples.flags.writeable = False
        self._items[key] = (samples, sample_rate)
        self._bytes += samples.nbytes
        while self._bytes > self.max_bytes:
            _, (old, _) = self._items.popitem(last=False)
            self._bytes -= old.nbytes

    def discard(self, key: PhraseKey) -> None:
        """Forget ``key`` if present."""
        item = self._items.pop(key, None)
        if item is not None:
            self._bytes -= item[0].nbytes

    def discard_voice(self, voice: str) -> None:
        """Forget every phrase of ``voice`` (all versions), e.g. when it is removed."""
        for key in [k for k in self._items if k.voice == voice]:
            self.discard(key)
