"""Chat laughter and applause (``www``, ``草``, ``(笑)``, ``lol``, ``888``) and long runs of one character."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["cap_runs", "read_laughter"]

_WWW = re.compile(r"(?<![A-Za-z0-9])[wW]+(?![A-Za-z0-9])")
_KUSA = re.compile(r"(?<![\u3400-\u9fff々])草+(?![\u3400-\u9fff々])")
_WARAI = re.compile(r"\(笑\)")
_LOL = re.compile(r"(?<![A-Za-z0-9])lol(?![A-Za-z0-9])", re.IGNORECASE)
_CLAPS = re.compile(r"(?<![\d.,])8{3,}(?![\d.,円])")


@lru_cache(maxsize=8)
def _run_pattern(unit: int, max_repeat: int) -> re.Pattern[str]:
    return re.compile(rf"(\D{{{unit}}})\1{{{max_repeat},}}")


def read_laughter(text: str, laugh_word: str) -> str:
    """Read chat laughter and applause.

    ``w`` -> わら, ``ww``/``www``... -> わらわら, 草 on its own -> くさ, ``(笑)`` and ``lol``
    -> わら, ``888``... -> パチパチ. ``w`` next to other letters or digits (``wow``, ``www.``) and 草
    inside a word (草原) stay.
    """
    text = _CLAPS.sub("パチパチ", text)
    text = _WWW.sub(lambda m: laugh_word * min(len(m[0]), 2), text)
    text = _KUSA.sub("くさ", text)
    text = _LOL.sub(laugh_word, text)
    return _WARAI.sub(laugh_word, text)


def cap_runs(text: str, max_repeat: int) -> str:
    """Cap runs of one character, then of one two-character unit, at ``max_repeat`` copies.

    Digits are never capped (1000000 stays a million).
    """
    max_repeat = max(1, max_repeat)
    for unit in (1, 2):
        text = _run_pattern(unit, max_repeat).sub(lambda m: m[1] * max_repeat, text)
    return text
