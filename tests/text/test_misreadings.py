"""Chat notations that used to be misread: fractions taken for dates, hyphen ranges, ordinals,
``lol`` and tech words the English model got wrong."""

from __future__ import annotations

import pyopenjtalk
import pytest

from voicebot.text import g2p, normalize, openjtalk_text
from voicebot.text.chat_words import CHAT_WORDS
from voicebot.text.english import word_to_kana


def _kana(text: str) -> str:
    """How the Open JTalk voice says normalized ``text``, in katakana."""
    return pyopenjtalk.g2p(openjtalk_text(normalize(text)), kana=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/3", "3分の1"),
        ("全体の1/2くらい", "全体の2分の1くらい"),
        ("3/4カップ", "4分の3カップ"),
        ("1/10", "10分の1"),
        ("13/20", "20分の13"),
        ("5/0", "5/0"),
    ],
)
def test_common_and_impossible_dates_read_as_fractions(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11/22", "11月22日"),
        ("2026/11/22", "2026年11月22日"),
        ("6/7の予定", "6月7日の予定"),
        ("5/1", "5月1日"),
        ("1/3(金)", "1月3日(金)"),
        ("1/3（金）に集合", "1月3日(金)に集合"),
        ("1/3 19:00から", "1月3日 19時から"),
        ("12/28~1/3", "12月28日から1月3日"),
        ("1/2〜1/4", "1月2日から1月4日"),
        ("12/28-1/3", "12月28日から1月3日"),
        ("2026/12/28 - 2027/1/3", "2026年12月28日から2027年1月3日"),
    ],
)
def test_dates_and_date_cues_read_as_dates(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_a_fraction_is_heard_as_a_fraction() -> None:
    assert _kana("1/3") == "サンブンノイチ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3-5人", "3から5人"),
        ("2-3回", "2から3回"),
        ("5-10%", "5から10パーセント"),
        ("10-20km", "10から20キロメートル"),
        ("3-1で勝った", "3-1で勝った"),  # a score
        ("1-3で負けた", "1-3で負けた"),  # a score, no counter after it
        ("03-1234-5678", "03-1234-5678"),  # a phone number
        ("5-3人", "5-3人"),  # not ascending
    ],
)
def test_hyphen_between_numbers_is_a_range_only_before_a_counter(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1st", "ファースト"),
        ("2nd", "セカンド"),
        ("3rd", "サード"),
        ("4th", "フォース"),
        ("2ndシーズン", "セカンドシーズン"),
        ("明日は1stライブ", "明日はファーストライブ"),
        ("この3rdシングル", "このサードシングル"),
        ("11th", "11番目"),
        ("21st", "21番目"),
        ("1th", "1th"),  # not an ordinal
        ("v1st", "v1st"),
        ("1.1st", "1.1st"),
    ],
)
def test_english_ordinals(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_first_is_no_longer_read_as_short_ton() -> None:
    assert _kana("1st") == "ファースト"


@pytest.mark.parametrize(("text", "expected"), [("lol", "わら"), ("LOL", "わら"), ("それlol", "それわら")])
def test_lol_is_laughter(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_lol_inside_a_word_stays() -> None:
    assert normalize("lolipop") == "lolipop"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("github", "ギットハブ"),
        ("GitHubを見て", "ギットハブを見て"),
        ("wifi", "ワイファイ"),
        ("ok", "オーケー"),
    ],
)
def test_chat_words_use_the_table(text: str, expected: str) -> None:
    assert openjtalk_text(text) == expected


def test_every_chat_word_fixes_a_model_misreading() -> None:
    for word, reading in CHAT_WORDS.items():
        assert word == word.lower() and word.isascii()
        assert word_to_kana(word) != reading, f"{word}: the model already says {reading}; drop the entry"


def test_words_without_a_vowel_are_spelled_like_acronyms() -> None:
    assert openjtalk_text("css") == "css"
    assert g2p("npm") == g2p("NPM")
