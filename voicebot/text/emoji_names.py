"""Unicode emoji to their Japanese CLDR names (from the ``emoji`` package's data, offline)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import emoji

__all__ = ["emoji_name", "replace_emoji"]

_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")
# Text made only of these cannot hold an emoji: skip the scan (the common case in chat).
_NO_EMOJI = re.compile(
    r"[\x00-\xa8\xaa-\xad\xaf-\u2000\u3001-\u302f\u3040-\u30ff\u4e00-\u9fff\uff01-\uffef]*"
)


@lru_cache(maxsize=1)
def _load_japanese() -> None:
    emoji.config.load_language("ja")


@lru_cache(maxsize=2048)
def emoji_name(chars: str) -> str:
    """The Japanese name of one emoji (「家族」 for any family, flags as 「日本の旗」), or ``""``."""
    _load_japanese()
    data = emoji.EMOJI_DATA.get(chars) or emoji.EMOJI_DATA.get(_SKIN_TONES.sub("", chars)) or {}
    name = str(data.get("ja", "")).strip(":")
    if name.startswith("旗_"):
        return f"{name[2:]}の旗"
    if name.startswith("囲み数字_"):  # keycaps: read the key itself
        return name[5:]
    return name.split("_", 1)[0]  # the rest qualifies it: skin tone, who is in a family...


def replace_emoji(text: str, *, read: bool, limit: int) -> str:
    """Replace unicode emoji by their names (``read=True``) or drop them.

    Emoji that NFKC turns into text (‼ -> !!) are left for it. A run of one emoji (spaces
    between allowed) is read once; names of neighbouring emoji are separated by 「、」; at
    most ``limit`` names are read per text, the rest are dropped.
    """
    if _NO_EMOJI.fullmatch(text):
        return text
    out: list[str] = []
    previous, end, spoken = "", 0, 0
    for match in emoji.emoji_list(text):
        start, chars = match["match_start"], match["emoji"]
        bare = chars.replace("\ufe0f", "")
        if unicodedata.normalize("NFKC", bare) != bare:
            continue  # ‼ ⁉ ™ 🈁 ㊗: text in disguise, NFKC makes them !! !? TM ココ 祝
        between = text[end:start]
        adjacent = bool(previous) and not between.strip()
        out.append(between)
        if read and spoken < limit and not (adjacent and chars == previous):
            name = emoji_name(chars)
            if name:
                out.append(f"、{name} " if adjacent and spoken else f" {name} ")
                spoken += 1
        previous, end = chars, match["match_end"]
    out.append(text[end:])
    return "".join(out)
