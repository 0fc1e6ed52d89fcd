"""apply_dictionary(): per-guild readings."""

from __future__ import annotations

from voicebot.text import DictEntry, apply_dictionary
from voicebot.text.dictionary import _trie


def test_longest_match_wins_whatever_the_entry_order() -> None:
    entries = [
        DictEntry("voice", "ボイス"),
        DictEntry("voicebot", "ボイスボット"),
        DictEntry("bot", "ボット"),
    ]
    assert apply_dictionary("voicebot と voice と bot", entries) == "ボイスボット と ボイス と ボット"
    assert apply_dictionary("voicebot", list(reversed(entries))) == "ボイスボット"


def test_matching_ignores_case_and_width_but_keeps_unmatched_text() -> None:
    entries = [DictEntry("ＶＯＩＣＥ", "ボイス"), DictEntry("ｶﾞｯｺｳ", "学校")]
    assert apply_dictionary("Voice voice VOICE ｖｏｉｃｅ", entries) == "ボイス ボイス ボイス ボイス"
    assert apply_dictionary("ガッコウへ", entries) == "学校へ"
    assert apply_dictionary("ＡＢＣ ｶﾅ Ok", entries) == "ＡＢＣ ｶﾅ Ok"


def test_kana_readings_and_japanese_patterns() -> None:
    entries = [DictEntry("鬼滅", "きめつ"), DictEntry("草", "くさ")]
    assert apply_dictionary("鬼滅の刃で草", entries) == "きめつの刃でくさ"


def test_empty_entries_are_ignored() -> None:
    entries = [DictEntry("", "あ"), DictEntry("   ", "い"), DictEntry("a", ""), DictEntry("x", "エックス")]
    assert apply_dictionary("a x b", entries) == "a エックス b"
    assert apply_dictionary("text", []) == "text"


def test_a_later_entry_for_the_same_word_wins() -> None:
    entries = [DictEntry("abc", "古い"), DictEntry("ABC", "新しい")]
    assert apply_dictionary("abc", entries) == "新しい"


def test_matches_never_split_a_character() -> None:
    # NFKC turns ㍻ into 平成: a pattern for 平 alone must not eat half of it.
    assert apply_dictionary("㍻", [DictEntry("平", "たいら")]) == "㍻"
    assert apply_dictionary("㍻", [DictEntry("平成", "へいせい")]) == "へいせい"


def test_readings_are_bounded() -> None:
    out = apply_dictionary("aaaa", [DictEntry("a", "長" * 1000)])
    assert len(out) <= 4 * 64


def test_hundreds_of_entries_build_one_matcher() -> None:
    # Speed is measured by `voicebot bench frontend`; here: the trie is built once per entry list.
    entries = [DictEntry(f"word{i}", f"ワード{i}") for i in range(500)]
    text = "今日は word42 と word420 と word4999 の話。"
    before = _trie.cache_info().misses
    for _ in range(3):
        out = apply_dictionary(text, entries)
    assert _trie.cache_info().misses == before + 1
    assert out == "今日は ワード42 と ワード420 と ワード4999 の話。"
