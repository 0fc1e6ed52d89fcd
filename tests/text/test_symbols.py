"""The symbol table and id mapping."""

from __future__ import annotations

import logging

import pyopenjtalk
import pytest

from voicebot.text import SYMBOL_TABLE_VERSION, SYMBOLS, g2p, symbols_to_ids, unknown_symbols


def test_table_is_versioned_padded_and_unique() -> None:
    assert SYMBOL_TABLE_VERSION == 1
    assert SYMBOLS[0] == "<pad>"
    assert len(set(SYMBOLS)) == len(SYMBOLS)


def test_table_covers_every_mora_open_jtalk_knows() -> None:
    # Every katakana, alone and with each small kana, as Open JTalk pronounces it.
    small = ["", *"ァィゥェォャュョヮ"]
    emitted: set[str] = set()
    for code in range(ord("ァ"), ord("ヺ") + 1):
        for tail in small:
            emitted.update(pyopenjtalk.g2p(chr(code) + tail + "ア").split())
    assert emitted - {"pau", "sil"} <= set(SYMBOLS)
    assert {"v", "dy", "ty", "gw", "kw", "fy"} <= emitted


def test_ids_round_trip() -> None:
    symbols = g2p("こんにちは、元気？")
    ids = symbols_to_ids(symbols)
    assert [SYMBOLS[i] for i in ids] == symbols
    assert 0 not in ids


def test_unknown_symbols_of_an_older_table() -> None:
    old = [s for s in SYMBOLS if s not in ("fy", "?", "U")]
    assert unknown_symbols(SYMBOLS) == set()
    assert unknown_symbols(old) == {"fy", "?", "U"}


def test_older_table_gets_the_closest_sound(caplog: pytest.LogCaptureFixture) -> None:
    old = tuple(s for s in SYMBOLS if s not in ("fy", "?", "U", "["))
    with caplog.at_level(logging.WARNING, logger="voicebot.text.symbols"):
        ids = symbols_to_ids(["^", "fy", "U", "[", "a", "?"], old)
    assert [old[i] for i in ids] == ["^", "hy", "u", "a", "$"]
    assert "lacks 'fy'" in caplog.text


def test_symbols_outside_any_table_are_dropped() -> None:
    assert symbols_to_ids(["a", "not-a-symbol", "i"]) == [SYMBOLS.index("a"), SYMBOLS.index("i")]
