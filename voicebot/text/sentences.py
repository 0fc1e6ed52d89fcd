"""Split normalized text into pieces for streaming synthesis, the first one short."""

from __future__ import annotations

import re

__all__ = ["split_sentences"]

_MARKS = "。！？!?"
_OPEN = "「『（(["
_CLOSE = "」』）)]"
_BREAK = re.compile(r"[、，,]|\s")
_HAS_WORDS = re.compile(r"[^\s。！？!?、，,.・…‥ー〜~「」『』()（）\[\]]")


def _sentences(text: str) -> list[str]:
    """Cut after each run of 。！？!? outside brackets (「はい。」と言った is one) and at line breaks."""
    pieces: list[str] = []
    start = depth = 0
    for i, char in enumerate(text):
        if char == "\n":
            pieces.append(text[start:i])
            start, depth = i + 1, 0
        elif char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth = max(0, depth - 1)
        elif char in _MARKS and depth == 0 and (i + 1 == len(text) or text[i + 1] not in _MARKS):
            pieces.append(text[start : i + 1])
            start = i + 1
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]


def _last_break(piece: str, limit: int) -> int:
    """Position just after the last 、 or space within ``limit``, or 0 when there is none early enough."""
    cut = max((m.end() for m in _BREAK.finditer(piece, 0, limit)), default=0)
    return cut if cut > limit // 3 else 0


def _break_long(piece: str, limit: int) -> list[str]:
    parts: list[str] = []
    while len(piece) > limit:
        cut = _last_break(piece, limit) or limit
        parts.append(piece[:cut].strip())
        piece = piece[cut:].strip()
    parts.append(piece)
    return parts


def _merge(pieces: list[str], min_chars: int, max_chars: int) -> list[str]:
    merged: list[str] = []
    for piece in pieces:
        if merged and not _HAS_WORDS.search(piece):
            merged[-1] += piece  # lone punctuation belongs to the sentence before it
        elif merged and len(merged[-1]) < min_chars and len(merged[-1]) + len(piece) <= max_chars:
            merged[-1] += piece
        else:
            merged.append(piece)
    if len(merged) > 1 and len(merged[-1]) < min_chars and len(merged[-2]) + len(merged[-1]) <= max_chars:
        last = merged.pop()
        merged[-1] += last
    return merged


def split_sentences(
    text: str, max_chars: int = 60, *, min_chars: int = 6, first_max_chars: int = 30
) -> list[str]:
    """Cut ``text`` into sentences of at most ``max_chars`` characters, for streaming.

    Splits after 。！？!? outside brackets (the mark stays: it carries the intonation) and at
    line breaks; a piece shorter than ``min_chars`` joins the next one (the last joins the
    one before); a piece longer than ``max_chars`` is broken at 、 or a space (a hard cut if
    there is none). A first piece longer than ``first_max_chars`` is broken early at a 、 or space
    when it has one, so synthesis starts sooner. Pieces with nothing to say are dropped.
    Never raises.

    Returns:
        list of non-empty str, each at most ``max_chars`` long, together no longer than ``text``.
    """
    max_chars = max(1, max_chars)
    merged = _merge(_sentences(text), min_chars, max_chars)
    pieces: list[str] = []
    for piece in merged:
        if not pieces and len(piece) > first_max_chars:
            cut = _last_break(piece, min(first_max_chars, max_chars))
            if cut:
                pieces.append(piece[:cut].strip())
                piece = piece[cut:].strip()
        pieces.extend(_break_long(piece, max_chars))
    return [p for p in pieces if _HAS_WORDS.search(p)]
