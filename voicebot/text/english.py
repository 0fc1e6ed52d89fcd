"""English words to katakana, so Open JTalk says 「ハロー」-like words instead of spelling them.

Open JTalk knows only some English words and spells the rest letter by letter
(``Discord`` -> ディーアイエスシーオーアールディー). The ``e2k`` package ships a small
character-to-katakana RNN (numpy only, weights inside the wheel, nothing downloaded) that
gives ディスコード. All-capital words (``URL``, ``OK``, ``PC``) are acronyms and stay spelled
(Open JTalk does that letter by letter), and so do words without a vowel (``css``, ``npm``:
acronyms typed in lower case). Words of :data:`~voicebot.text.chat_words.CHAT_WORDS` take its
reading instead of the model's (``github`` -> ギットハブ).
"""

from __future__ import annotations

import re
from functools import lru_cache

from e2k import C2K

from voicebot.text.chat_words import CHAT_WORDS

__all__ = ["MAX_WORD_CHARS", "english_to_kana", "word_to_kana"]

MAX_WORD_CHARS = 16
"""Longer words are left to Open JTalk (the model reads at most this many letters)."""

_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+(?:'[A-Za-z]+)?(?![A-Za-z0-9])")
_VOWEL = re.compile(r"[aeiouyAEIOUY]")


@lru_cache(maxsize=1)
def _model() -> C2K:
    return C2K(model="turbo")


@lru_cache(maxsize=4096)
def word_to_kana(word: str) -> str:
    """Katakana for one English word (e.g. ``discord`` -> ディスコード); the word itself if none."""
    return _model()(word.replace("'", "").lower()) or word


def _replace(match: re.Match[str]) -> str:
    word = match[0]
    if len(word) < 2 or len(word) > MAX_WORD_CHARS or word.isupper():
        return word
    known = CHAT_WORDS.get(word.lower())
    if known is not None:
        return known
    return word_to_kana(word) if _VOWEL.search(word) else word


def english_to_kana(text: str) -> str:
    """Replace English words of 2 to 16 letters by katakana.

    Words of the chat-word table are read from it (``GitHub`` -> ギットハブ); acronyms (all
    capitals, or no vowel) and words touching digits (``mp3``) are left as they are.
    """
    return _WORD.sub(_replace, text)
