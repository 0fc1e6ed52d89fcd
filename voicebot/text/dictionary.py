"""Per-guild reading dictionary: replace words by readings before G2P.

Matching is case- and width-insensitive (NFKC + casefold, so ``ＶＯＩＣＥ``, ``Voice`` and
``voice`` are one word) while the text that matches nothing is returned exactly as it came.
At each position the longest pattern wins. The matcher is a trie over the folded patterns,
built once per distinct entry list, so hundreds of entries cost one walk per position.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["MAX_READING_CHARS", "DictEntry", "apply_dictionary"]

MAX_READING_CHARS = 64
"""Longer readings are cut, so one entry cannot blow a message up without bound."""

_END = ""  # trie key holding the reading of a pattern that ends at this node
_Trie = dict[str, Any]  # char -> _Trie, and _END -> reading


@dataclass(frozen=True)
class DictEntry:
    """Read ``pattern`` as ``reading`` (kana or any text). An entry with a blank side is ignored."""

    pattern: str
    reading: str


def _is_mark(char: str) -> bool:
    # Combining marks and the half-width (han)dakuten belong to the character before them.
    return unicodedata.combining(char) > 0 or char in "\uff9e\uff9f"


def _clusters(text: str) -> list[str]:
    clusters: list[str] = []
    for char in text:
        if clusters and _is_mark(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _fold(cluster: str) -> str:
    return unicodedata.normalize("NFKC", cluster).casefold()


@lru_cache(maxsize=64)
def _trie(entries: tuple[DictEntry, ...]) -> _Trie:
    root: _Trie = {}
    for entry in entries:
        key = "".join(_fold(c) for c in _clusters(entry.pattern))
        if not key.strip() or not entry.reading.strip():
            continue
        node = root
        for char in key:
            node = node.setdefault(char, {})
        node[_END] = entry.reading[:MAX_READING_CHARS]  # a later entry for the same word wins
    return root


def apply_dictionary(text: str, entries: Sequence[DictEntry]) -> str:
    """Replace every dictionary pattern in ``text`` by its reading, longest match first.

    A match starts and ends on whole characters of ``text`` (a pattern never matches half of
    「㍻」). Pure: the result depends only on ``text`` and ``entries``. Never raises.

    Returns:
        str of at most ``len(text) * MAX_READING_CHARS`` characters.
    """
    root = _trie(tuple(entries))
    if not root or not text:
        return text
    clusters = _clusters(text)
    folded = [_fold(c) for c in clusters]
    out: list[str] = []
    i = 0
    while i < len(clusters):
        node, reading, end = root, None, i
        j = i
        while j < len(folded) and node:
            for char in folded[j]:
                node = node.get(char, {})
                if not node:
                    break
            j += 1
            if node and _END in node:
                reading, end = node[_END], j
        if reading is None:
            out.append(clusters[i])
            i += 1
        else:
            out.append(reading)
            i = end
    return "".join(out)
