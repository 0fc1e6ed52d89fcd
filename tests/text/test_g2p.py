"""g2p(): phonemes with prosody marks, checked on exact sequences and the whole corpus."""

from __future__ import annotations

import subprocess
import sys

import pyopenjtalk
import pytest

from voicebot.text import SYMBOLS, g2p, openjtalk_text
from voicebot.training.sample import ita_sentences


def _corpus_sentences() -> list[str]:
    """The ITA corpus: phoneme-balanced, rare morae on purpose."""
    return [text for _, text in ita_sentences()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今日は良い天気ですか？", "^ ky o ] o w a # y o ] i # t e ] N k i d e s U k a ?"),
        ("こんにちは、元気？", "^ k o [ N n i ch i w a _ g e ] N k i ?"),
        ("はい。そうです。", "^ h a ] i _ s o [ o d e s U $"),
        ("雨が降っている", "^ a ] m e g a # f u ] cl t e i r u $"),
        ("何があったの？", "^ n a ] n i g a # a ] cl t a n o ?"),
        ("何人いる？", "^ n a ] N n i N # i [ r u ?"),
        (
            "ヴァイオリンとデュエット、フュージョン",
            "^ v a [ i o r i N t o # dy u ] e cl t o _ fy u ] u j o N $",
        ),
    ],
)
def test_exact_symbols(text: str, expected: str) -> None:
    assert " ".join(g2p(text)) == expected


def test_english_words_are_read_as_katakana_and_acronyms_spelled() -> None:
    assert g2p("今日はDiscordで遊ぼう") == g2p("今日はディスコードで遊ぼう")
    assert g2p("good night") == g2p("グッドナイト")
    assert " ".join(s for s in g2p("URL") if s.isalpha()) == "y u u a a r u e r u"


def test_openjtalk_text_is_what_open_jtalk_can_read() -> None:
    assert openjtalk_text("\x00Discordで\u202eＯＫ\ud800") == "ディスコードでOK"
    assert openjtalk_text("\u0301ー!あ") == "あ"


@pytest.mark.parametrize("text", ["", "   ", "！！！", "ー", "😀", "\x00\ud800", "、。"])
def test_nothing_to_say_gives_no_symbols(text: str) -> None:
    assert g2p(text) == []


def test_returns_a_fresh_list_each_time() -> None:
    first = g2p("こんにちは")
    first.append("x")
    assert g2p("こんにちは")[-1] == "$"


def test_very_long_text_is_bounded() -> None:
    symbols = g2p("あいうえお" * 2000)
    assert 0 < len(symbols) < 1000


def test_corpus_round_trip_uses_only_known_symbols() -> None:
    table = set(SYMBOLS)
    for sentence in _corpus_sentences():
        symbols = g2p(sentence)
        assert symbols[0] == "^" and symbols[-1] in ("$", "?"), sentence
        assert set(symbols) <= table, (sentence, set(symbols) - table)


def test_corpus_matches_pyopenjtalk_prosody_reference() -> None:
    # pyopenjtalk-plus ships its own prosody export; ours must agree with it on real sentences
    # (it adds word braces and a pause before the final mark, which ESPnet's style has not).
    for sentence in _corpus_sentences()[:300]:
        reference = [s for s in pyopenjtalk.g2p_prosody(sentence) if s not in ("{", "}")]
        if reference[-2:] in (["_", "$"], ["?", "$"]):
            reference = [*reference[:-2], "?" if reference[-2] == "?" else "$"]
        assert g2p(sentence) == reference, sentence


def test_warm_up_loads_what_the_first_homograph_would_on_this_thread() -> None:
    # A fresh process: this one may have loaded it already. Without the warm-up, the bot's first
    # message with 前 or 方 waits for Sudachi's dictionary on the event loop (tens of ms).
    code = (
        "from pyopenjtalk import utils\n"
        "from voicebot.text import warm_up\n"
        "assert utils._SUDACHI_DICTIONARY is None\n"
        "warm_up()\n"
        "assert utils._SUDACHI_DICTIONARY is not None\n"
        "assert getattr(utils._SUDACHI_TOKENIZER_LOCAL, 'tokenizer', None) is not None\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
