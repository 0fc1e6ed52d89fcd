"""Chat text to speakable Japanese: the steps of the other modules, in the order that is right.

Order matters: code and spoilers go first (nothing inside them is read); Discord tokens and
links come before NFKC, so full-width look-alikes a user typed (＜＠１２３＞) are not taken
for markup; emoji too, since NFKC rewrites some of them (™️ -> TM). Then NFKC, markdown,
laughter, runs, numbers, whitespace, and the cut last.
"""

from __future__ import annotations

import re
import unicodedata

from voicebot.text.emoji_names import replace_emoji
from voicebot.text.markup import replace_hidden, replace_links, replace_tokens, strip_markdown
from voicebot.text.numerals import read_numbers
from voicebot.text.options import NormalizeOptions, Resolver
from voicebot.text.repeats import cap_runs, read_laughter
from voicebot.text.sanitize import sanitize, strip_invisible

__all__ = ["RAW_LIMIT", "normalize"]

RAW_LIMIT = 20_000
"""Characters of input looked at (Discord messages have at most 4000)."""

_DEFAULT = NormalizeOptions()
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")
# Open JTalk ignores a space between two Japanese characters; the words put in by the
# steps above come padded with spaces, which read oddly in the normalized text.
_JA = "\u3001-\u30ff\u3400-\u9fff\uff01-\uff0f"
_JA_SPACE = re.compile(f"(?<=[{_JA}]) (?=[{_JA}])")


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    return _JA_SPACE.sub("", _BLANK_LINES.sub("\n", text)).strip()


def _cut(text: str, options: NormalizeOptions) -> str:
    if len(text) <= options.max_chars:
        return text
    return f"{text[: options.max_chars].rstrip()}、{options.cut_word}"


def normalize(text: str, options: NormalizeOptions | None = None, resolve: Resolver | None = None) -> str:
    """Turn a chat message into Japanese that the G2P reads right.

    NFKC; code, spoilers and URLs become short words; Discord mentions go through
    ``resolve(kind, id)`` (a neutral word without it); unicode emoji become their Japanese
    names (or are dropped); laughter is read, long runs capped, numbers, dates, times, money
    and units rewritten, markdown dropped, and the result cut at ``options.max_chars``
    followed by 「、以下略」. Line breaks are kept (they end sentences). Never raises.

    Returns:
        str of at most ``max_chars + 1 + len(cut_word)`` characters; ``""`` if nothing is left.
    """
    options = options or _DEFAULT
    text = sanitize(text[:RAW_LIMIT])
    text = replace_hidden(text, options)
    text = replace_tokens(text, options, resolve)
    text = replace_links(text, options)
    text = replace_emoji(text, read=options.emoji == "name", limit=options.max_emoji)
    text = unicodedata.normalize("NFKC", strip_invisible(text))
    text = strip_markdown(text)
    text = read_laughter(text, options.laugh_word)
    text = cap_runs(text, options.max_repeat)
    text = read_numbers(text)
    return _cut(_tidy(text), options)
