"""Japanese text to phoneme symbols with prosody marks, from Open JTalk's full-context labels.

The marks follow the ``pyopenjtalk_prosody`` convention of ESPnet: ``^`` sentence start,
``$`` end, ``?`` question end, ``_`` pause, ``#`` accent phrase boundary, ``[`` pitch rise,
``]`` pitch fall (after the accent nucleus). Devoiced vowels stay capitals (``U``, ``I``).

Fields read from each HTS label ``p1^p2-p3+p4=p5/A:a1+a2+a3/.../E:e1_e2!e3_e4-e5/F:f1_f2...``:
``p3`` the phoneme; ``a1`` its mora's position relative to the accent nucleus (0 on the
nucleus), ``a2`` / ``a3`` the mora's position from the start / end of its accent phrase;
``f1`` the accent phrase's length in morae; on the final silence, ``e3`` is 1 when the last
accent phrase is a question.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

import pyopenjtalk

from voicebot.text.english import english_to_kana, word_to_kana
from voicebot.text.sanitize import sanitize, strip_invisible
from voicebot.text.symbols import PHONEMES

__all__ = ["G2P_MAX_CHARS", "clear_cache", "g2p", "openjtalk_text", "warm_up"]

_log = logging.getLogger(__name__)

G2P_MAX_CHARS = 300
"""Longer text is cut here (a sentence is far shorter): split text with
:func:`~voicebot.text.split_sentences` first."""

_CACHE_MAX_CHARS = 200

_LABEL = re.compile(
    r"-(?P<p3>[^+]+)\+.*?/A:(?P<a1>-?\d+|xx)\+(?P<a2>\d+|xx)\+(?P<a3>\d+|xx)/"
    r".*?/E:[^!]*!(?P<e3>\d+|xx)_.*?/F:(?P<f1>\d+|xx)_"
)
_MORA_END = frozenset("aiueoAIUEO") | {"N", "cl"}
_PHONEMES = frozenset(PHONEMES)
# Open JTalk warns on stderr when a phrase starts with a long vowel or !? mark, or when text
# has nothing pronounceable: such marks are dropped and such text never reaches it.
_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[ー~!?])")
_ORPHAN_MARKS = re.compile(r"(?:^|(?<=[\s、。,.(「『]))[ー~!?]+|(?<=[!?)」』])[ー~]+")
# Text made only of these needs no per-character check before Open JTalk.
_PLAIN = re.compile(r"[\s!-~\u3001-\u30ff\u4e00-\u9fff]*")
_PRONOUNCEABLE = re.compile(r"[0-9A-Za-z\u0370-\u03ff\u3041-\u3096\u30a1-\u30fa\u3400-\u9fff\uf900-\ufaff]")


def _readable(text: str) -> str:
    """Drop unassigned and private-use code points and combining marks that follow no letter.

    Open JTalk prints warnings on those and reads nothing for them; other symbols stay, so
    pyopenjtalk-plus still recognises kaomoji such as (*´ω`*) and keeps them silent.
    """
    if _PLAIN.fullmatch(text):
        return text
    out: list[str] = []
    after_letter = False
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cn", "Co") or (category[0] == "M" and not after_letter):
            continue
        out.append(char)
        after_letter = category[0] == "L" or (category[0] == "M" and after_letter)
    return "".join(out)


def _int(value: str) -> int:
    return -1 if value == "xx" else int(value)


def _parse(label: str) -> tuple[str, int, int, int, int, int] | None:
    match = _LABEL.search(label)
    if match is None:
        return None
    return (
        match["p3"],
        _int(match["a1"]),
        _int(match["a2"]),
        _int(match["a3"]),
        _int(match["e3"]),
        _int(match["f1"]),
    )


def _labels_to_symbols(labels: list[str]) -> list[str]:
    parsed = [p for p in map(_parse, labels) if p is not None]
    symbols: list[str] = []
    for i, (phoneme, a1, a2, a3, e3, f1) in enumerate(parsed):
        if phoneme == "sil":
            if i == 0:
                symbols.append("^")
            elif i == len(parsed) - 1:
                symbols.append("?" if e3 == 1 else "$")
            else:
                symbols.append("_")
            continue
        if phoneme == "pau":
            symbols.append("_")
            continue
        if phoneme not in _PHONEMES:  # never seen; a voice could not say it anyway
            _log.warning("Open JTalk produced an unknown phoneme %r: skipped", phoneme)
            continue
        symbols.append(phoneme)
        next_a2 = parsed[i + 1][2] if i + 1 < len(parsed) else -1
        if a3 == 1 and next_a2 == 1 and phoneme in _MORA_END:
            symbols.append("#")
        elif a1 == 0 and next_a2 == a2 + 1 and a2 != f1:
            symbols.append("]")
        elif a2 == 1 and next_a2 == 2:
            symbols.append("[")
    return symbols


def _run(text: str) -> list[str]:
    try:
        labels = pyopenjtalk.extract_fullcontext(text)
    except Exception:  # a C library on user text: log it, say nothing rather than crash the bot
        _log.exception("Open JTalk failed on %d characters of text", len(text))
        return []
    symbols = _labels_to_symbols(labels)
    return symbols if any(s not in ("^", "$", "?", "_") for s in symbols) else []


@lru_cache(maxsize=4096)
def _cached(text: str) -> tuple[str, ...]:
    return tuple(_run(text))


def openjtalk_text(text: str) -> str:
    """``text`` as Open JTalk should get it, for :func:`g2p` and for Open JTalk's own voice.

    Sanitized, NFKC-normalized, without code points Open JTalk cannot read or marks that
    would open a phrase, English words in katakana, cut at :data:`G2P_MAX_CHARS`. Never raises.
    """
    text = unicodedata.normalize("NFKC", strip_invisible(sanitize(text[: G2P_MAX_CHARS * 2])))
    text = _SPACE_BEFORE_MARK.sub("", _readable(text)[:G2P_MAX_CHARS])
    return english_to_kana(_ORPHAN_MARKS.sub("", text))


def g2p(text: str) -> list[str]:
    """Convert (normalized) Japanese text to phoneme symbols with prosody marks.

    The text goes through :func:`openjtalk_text` first; text with nothing to say gives
    ``[]``. Never raises.

    Returns:
        list of symbols, all in :data:`~voicebot.text.SYMBOLS`, e.g.
        ``["^", "k", "o", "[", "N", "n", "i", "ch", "i", "w", "a", "$"]``.
    """
    text = openjtalk_text(text)
    if not _PRONOUNCEABLE.search(text):
        return []
    if len(text) <= _CACHE_MAX_CHARS:
        return list(_cached(text))
    return _run(text)


# Homographs (前, 方, 何, 一日, 上手, 大人, 市場) make pyopenjtalk-plus load Sudachi's dictionary and
# reading models on first use.
_WARM_UP = "駅前であの方は何を食べたのか、何人来たのか。一日中、上手な大人の市場へ行った。"


def warm_up() -> None:
    """Load what Open JTalk loads on its first homograph, for the calling thread.

    Otherwise the first messages after a start pay for it: 70 ms for the first, 127 ms over the
    first 25 sentences (2 cores), on the bot's event loop and again in every worker; warmed up,
    none of them took over 1.2 ms.
    """
    _run(openjtalk_text(_WARM_UP))


def clear_cache() -> None:
    """Forget cached results, English words included (benchmarks time unseen text with it)."""
    _cached.cache_clear()
    word_to_kana.cache_clear()
