"""Make any Python ``str`` safe to process: no surrogates, control or bidi characters, no zalgo.

Everything downstream (regexes, the emoji tables, Open JTalk's C code) then sees well-formed,
printable text. ZWJ, variation selectors and tag characters survive here because emoji
sequences need them; :func:`strip_invisible` removes what is left of them later.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_COMBINING", "sanitize", "strip_invisible"]

MAX_COMBINING = 2
"""Combining marks kept per base character (more is zalgo, not writing)."""

# Surrogates (unpaired ones are possible in a str), C0/C1 controls except tab and newline,
# bidi embeddings/overrides/isolates, zero-width spaces, the BOM and noncharacters.
_UNSAFE = re.compile(
    "[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200c\u200e\u200f"
    "\u202a-\u202e\u2060-\u206f\ufeff\ufff0-\ufffb\ufdd0-\ufdef\U000f0000-\U0010ffff]"
)
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
# Terminal escape sequences (colours, cursor moves, titles): removed whole, or their parameters
# ("[31m") would be read aloud once the ESC itself is gone. CSI, OSC (to BEL or ST), and
# two-character escapes.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: window titles, links
    r"|\x1b[ -/]*[0-~]"  # the rest: ESC c (reset), ESC 7...
)
# What only made sense inside an emoji sequence.
_INVISIBLE = re.compile("[\u200d\ufe00-\ufe0f\U000e0000-\U000e007f\u20e3]")


def _cap_combining(text: str) -> str:
    out: list[str] = []
    run = 0
    for char in text:
        if unicodedata.combining(char):
            run += 1
            if run > MAX_COMBINING:
                continue
        else:
            run = 0
        out.append(char)
    return "".join(out)


def sanitize(text: str) -> str:
    """Return ``text`` without terminal escape sequences, surrogates, controls (tab and newline are
    kept), bidi marks or zalgo.

    Line breaks of every kind become ``\\n``; at most :data:`MAX_COMBINING` combining marks
    stay on one base character. Never raises.
    """
    text = _UNSAFE.sub("", _LINE_BREAKS.sub("\n", _ESCAPES.sub("", text)))
    if any(unicodedata.combining(char) for char in text):
        text = _cap_combining(text)
    return text


def strip_invisible(text: str) -> str:
    """Remove zero-width joiners, variation selectors and tag characters left after emoji handling."""
    return _INVISIBLE.sub("", text)
