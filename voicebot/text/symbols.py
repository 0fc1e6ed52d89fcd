"""The versioned symbol table: every phoneme Open JTalk can emit plus the prosody marks.

A voice file stores the table it was trained with; :func:`unknown_symbols` tells what this
frontend can produce that such a table lacks, and :func:`symbols_to_ids` maps those to a
close symbol the table has (or drops them) so an older voice still speaks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache

__all__ = [
    "PAD",
    "PHONEMES",
    "PROSODY_MARKS",
    "SYMBOLS",
    "SYMBOL_TABLE_VERSION",
    "symbols_to_ids",
    "unknown_symbols",
]

_log = logging.getLogger(__name__)

SYMBOL_TABLE_VERSION = 1
"""Bump when :data:`SYMBOLS` changes: voice files trained on another table need a mapping."""

PAD = "<pad>"

PROSODY_MARKS: tuple[str, ...] = ("^", "$", "?", "_", "#", "[", "]")
"""Sentence start, end, question end, pause, accent phrase boundary, pitch rise, pitch fall."""

# Open JTalk's whole inventory (jpcommon's mora table): capital vowels are devoiced, ``cl`` is
# the geminate (っ), ``N`` the moraic nasal. ``fy`` (フュ), ``v`` (ヴ), ``dy`` (デュ), ``ty``
# (テュ), ``gw`` (グヮ) and ``kw`` (クヮ) are rare but reachable.
PHONEMES: tuple[str, ...] = (
    *("a", "i", "u", "e", "o", "A", "I", "U", "E", "O", "N", "cl"),
    *("b", "by", "ch", "d", "dy", "f", "fy", "g", "gw", "gy", "h", "hy", "j", "k", "kw", "ky"),
    *("m", "my", "n", "ny", "p", "py", "r", "ry", "s", "sh", "t", "ts", "ty", "v", "w", "y", "z"),
)

SYMBOLS: tuple[str, ...] = (PAD, *PROSODY_MARKS, *PHONEMES)
"""Index 0 is padding; the order is part of :data:`SYMBOL_TABLE_VERSION`."""

# Closest sound for each symbol a table may lack; a symbol with no entry here is dropped.
_FALLBACK: dict[str, str] = {
    **{vowel.upper(): vowel for vowel in "aiueo"},
    **{"fy": "hy", "v": "b", "dy": "d", "ty": "t", "gw": "g", "kw": "k"},
    **{"?": "$", "[": "", "]": "", "#": "_"},
}


def unknown_symbols(table: Sequence[str]) -> set[str]:
    """Symbols this frontend can produce that ``table`` lacks (empty for :data:`SYMBOLS`)."""
    return set(SYMBOLS[1:]) - set(table)


@lru_cache(maxsize=16)
def _index(table: tuple[str, ...]) -> dict[str, int]:
    index = {symbol: i for i, symbol in enumerate(table)}
    for symbol in unknown_symbols(table):
        fallback = _FALLBACK.get(symbol, "")
        if fallback in index:
            index[symbol] = index[fallback]
        _log.warning(
            "symbol table lacks %r: using %r instead",
            symbol,
            fallback if fallback in index else "nothing",
        )
    return index


def symbols_to_ids(symbols: Iterable[str], table: Sequence[str] = SYMBOLS) -> list[int]:
    """Map phoneme symbols to indices of ``table``.

    A symbol the table lacks becomes its closest sound the table has (a devoiced vowel its
    voiced vowel, ``fy`` -> ``hy``, ``?`` -> ``$``...) or is dropped, with one warning per
    symbol and table. Never raises.

    Returns:
        list of ints in ``[0, len(table))``, at most as long as ``symbols``.
    """
    index = _index(tuple(table))
    return [index[s] for s in symbols if s in index]
