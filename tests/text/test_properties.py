"""Property tests: the frontend never raises on any str and its output stays bounded."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voicebot.text import (
    SYMBOLS,
    DictEntry,
    NormalizeOptions,
    apply_dictionary,
    g2p,
    normalize,
    split_sentences,
)
from voicebot.text.dictionary import MAX_READING_CHARS
from voicebot.text.phonemize import G2P_MAX_CHARS

# Every code point, surrogates and controls included, weighted towards what chat holds.
ANY_CHAR = st.characters(exclude_categories=())  # the default leaves out surrogates
JAPANESE = st.characters(min_codepoint=0x3040, max_codepoint=0x30FF) | st.characters(
    min_codepoint=0x4E00, max_codepoint=0x4FFF
)
PIECES = st.sampled_from(
    ["<@123>", "<t:1700000000:R>", "```", "`", "||", "https://x.y/", "www", "草", "😂", "👍🏽", "12:30",
     "¥1,200", "2026/11/22", "ー", "！", "\n", " ", "\x00", "\ud800", "\u202e", "\u0301", "**", "> ", "、",
     "？", "5km"]
)  # fmt: skip
CHAT = st.lists(ANY_CHAR | JAPANESE | PIECES, max_size=80).map("".join)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(text=CHAT | st.text(ANY_CHAR), max_chars=st.integers(min_value=1, max_value=300))
def test_normalize_never_raises_and_is_bounded(text: str, max_chars: int) -> None:
    options = NormalizeOptions(max_chars=max_chars)
    out = normalize(text, options, resolve=lambda kind, ident: "名前")
    assert isinstance(out, str)
    assert len(out) <= max_chars + 1 + len(options.cut_word)
    assert not any(0xD800 <= ord(c) <= 0xDFFF or c == "\x00" for c in out)


def test_normalize_takes_a_long_run_of_digits() -> None:
    digits = "1" * 5000  # Python refuses int() of more than 4300 digits
    assert normalize(f"{digits}st {digits}/{digits} {digits}-{digits}人", NormalizeOptions(max_chars=20))


@SETTINGS
@given(
    text=CHAT | st.text(ANY_CHAR),
    entries=st.lists(st.builds(DictEntry, st.text(max_size=8), st.text(max_size=100)), max_size=20),
)
def test_dictionary_never_raises_and_is_bounded(text: str, entries: list[DictEntry]) -> None:
    out = apply_dictionary(text, entries)
    assert len(out) <= max(len(text), 1) * MAX_READING_CHARS
    assert apply_dictionary(text, entries) == out


@SETTINGS
@given(text=CHAT | st.text(ANY_CHAR), max_chars=st.integers(min_value=1, max_value=120))
def test_split_sentences_never_raises_and_is_bounded(text: str, max_chars: int) -> None:
    pieces = split_sentences(text, max_chars=max_chars)
    assert all(0 < len(p) <= max_chars for p in pieces)
    assert sum(len(p) for p in pieces) <= len(text)


@SETTINGS
@given(text=CHAT | st.text(ANY_CHAR))
def test_g2p_never_raises_and_emits_known_symbols(text: str) -> None:
    symbols = g2p(text)
    assert set(symbols) <= set(SYMBOLS)
    assert len(symbols) <= 20 * min(len(text), G2P_MAX_CHARS) + 2


@SETTINGS
@given(text=CHAT)
def test_the_whole_pipeline_emits_known_symbols(text: str) -> None:
    for piece in split_sentences(apply_dictionary(normalize(text), [DictEntry("草", "くさ")])):
        assert set(g2p(piece)) <= set(SYMBOLS)
