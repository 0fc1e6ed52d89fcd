"""normalize(): chat messages as a reader hears them."""

from __future__ import annotations

import pytest

from voicebot.text import NormalizeOptions, normalize
from voicebot.text.sanitize import sanitize

NOW = 1_700_000_000.0
OPTIONS = NormalizeOptions(clock=lambda: NOW)

CASES: list[tuple[str, str]] = [
    # Discord mentions, no resolver: neutral words
    ("<@123> おはよう", "ユーザーおはよう"),
    ("<@!123> おはよう", "ユーザーおはよう"),
    ("<#456> に来て", "チャンネルに来て"),
    ("<@&789> の皆さん", "ロールの皆さん"),
    ("<:pepe_laugh:1234>", "pepe laugh"),
    ("<a:wave:99> やあ", "wave やあ"),
    ("</help:123> を使って", "help を使って"),
    # timestamps, read in Japan time
    ("<t:1700000000>", "2023年11月15日 7時13分"),
    ("<t:1700000000:t>", "7時13分"),
    ("<t:1700000000:T>", "7時13分20秒"),
    ("<t:1700000000:d>", "2023年11月15日"),
    ("<t:1700000000:F>", "2023年11月15日水曜日 7時13分"),
    ("<t:1700007200:R>", "2時間後"),
    ("<t:1699740800:R>", "3日前"),
    ("<t:1700000010:R>", "今"),
    ("<t:99999999999999:f>", "日時"),
    # links
    ("見て https://example.com/a?b=c", "見て URL"),
    ("<https://example.com>", "URL"),
    ("www.example.com を見て", "URL を見て"),
    ("[公式サイト](https://example.com) です", "公式サイトです"),
    # code and spoilers
    ("```py\nprint(1)\n```", "コード"),
    ("`x = 1` を実行", "コードを実行"),
    ("||犯人はヤス||だよ", "ネタバレだよ"),
    # unicode emoji
    ("ありがとう😊", "ありがとうにこにこ"),
    ("😂😂😂", "嬉し泣き"),
    ("👍🏽", "サムズアップ"),
    ("🇯🇵", "日本の旗"),
    ("👨\u200d👩\u200d👧", "家族"),
    ("❤️", "赤いハート"),
    ("😀😁😂🤣😃", "にっこり笑う、にやっと笑う、嬉し泣き"),
    ("1️⃣", "1"),
    ("本当‼️", "本当!!"),
    # laughter
    ("それなwww", "それなわらわら"),
    ("ｗｗｗ", "わらわら"),
    ("w", "わら"),
    ("wow", "wow"),
    ("草", "くさ"),
    ("それは草", "それはくさ"),
    ("草生える", "草生える"),
    ("(笑)", "わら"),
    ("888888", "パチパチ"),
    ("1888年", "1888年"),
    # long runs
    ("すごーーーーーい", "すごーーーい"),
    ("！！！！", "!!!"),
    ("あああああああ", "あああ"),
    ("ふぇふぇふぇふぇふぇ", "ふぇふぇふぇ"),
    ("1000000円", "1000000円"),
    # dates and times
    ("2026/11/22", "2026年11月22日"),
    ("2026-11-22", "2026年11月22日"),
    ("11/22に集合", "11月22日に集合"),
    ("11月22日", "11月22日"),
    ("12:30", "12時30分"),
    ("9:05:30", "9時5分30秒"),
    ("12:00", "12時"),
    ("25:00", "25時"),
    ("13/45", "45分の13"),
    # money, percentages, units, ranges, signs
    ("¥1,200", "1200円"),
    ("1200円", "1200円"),
    ("$5", "5ドル"),
    ("€10", "10ユーロ"),
    ("1,234,567", "1234567"),
    ("50%", "50パーセント"),
    ("10km", "10キロメートル"),
    ("5kg", "5キログラム"),
    ("25℃", "25度"),
    ("100MB", "100メガバイト"),
    ("2.5GB", "2.5ギガバイト"),
    ("30fps", "30エフピーエス"),
    ("5mins", "5mins"),
    ("3~5人", "3から5人"),
    ("10時〜12時", "10時から12時"),
    ("-5度", "マイナス5度"),
    # markdown
    ("**太字**", "太字"),
    ("__下線__", "下線"),
    ("~~取り消し~~", "取り消し"),
    ("> 引用です", "引用です"),
    ("*強調*", "強調"),
    ("# 見出し", "見出し"),
    ("snake_case_name", "snake_case_name"),
    # width, English, whitespace
    ("Hello World", "Hello World"),
    ("ＡＢＣ１２３", "ABC123"),
    ("ｶﾀｶﾅ", "カタカナ"),
    ("今日はDiscordで遊ぼう", "今日はDiscordで遊ぼう"),
    ("  空白   だらけ  ", "空白だらけ"),
    ("一行目\n\n\n二行目", "一行目\n二行目"),
    # hostile input
    ("\x00\ud800\u202e", ""),
    ("", ""),
    ("ゼ\u0301\u0302\u0303\u0304ロ", "ゼ\u0301\u0302ロ"),
    ("שלום עולם", "שלום עולם"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_chat_message_reads_as_expected(text: str, expected: str) -> None:
    assert normalize(text, OPTIONS) == expected


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(
    ("kind", "markup", "name"),
    [
        ("user", "<@1>", "太郎"),
        ("user", "<@!1>", "太郎"),
        ("role", "<@&1>", "運営"),
        ("channel", "<#1>", "雑談"),
    ],
)
def test_resolver_names_mentions(kind: str, markup: str, name: str) -> None:
    asked: list[tuple[str, int]] = []

    def resolve(k: str, ident: int) -> str | None:
        asked.append((k, ident))
        return name

    assert normalize(f"{markup}さん", resolve=resolve) == f"{name}さん"
    assert asked == [(kind, 1)]


def test_resolver_returning_none_or_failing_gives_the_neutral_word() -> None:
    def broken(kind: str, ident: int) -> str | None:
        raise RuntimeError("cache miss")

    assert normalize("<@5>", resolve=lambda k, i: None) == "ユーザー"
    assert normalize("<@5>", resolve=broken) == "ユーザー"


def test_resolved_names_are_sanitized_and_bounded() -> None:
    long_name = "".join(chr(0x4E00 + i) for i in range(100))
    assert normalize("<@5>", resolve=lambda k, i: "\x00\u202e" + long_name) == long_name[:32]


def test_long_text_is_cut_with_the_cut_word() -> None:
    options = NormalizeOptions(max_chars=10)
    assert normalize("あいうえおかきくけこさしすせそ", options) == "あいうえおかきくけこ、以下略"
    assert normalize("あいうえおかきくけこ", options) == "あいうえおかきくけこ"


@pytest.mark.parametrize(
    ("options", "text", "expected"),
    [
        (NormalizeOptions(emoji="drop"), "ありがとう😊", "ありがとう"),
        (NormalizeOptions(url_word="リンク"), "見て https://x.y", "見てリンク"),
        (NormalizeOptions(code_word="略"), "`x`", "略"),
        (NormalizeOptions(spoiler_word="秘密"), "||x||", "秘密"),
        (NormalizeOptions(max_repeat=1), "ーーー", "ー"),
        (NormalizeOptions(max_emoji=1), "😀😁", "にっこり笑う"),
        (NormalizeOptions(utc_offset_hours=0), "<t:1700000000:t>", "22時13分"),
    ],
)
def test_options_change_the_words(options: NormalizeOptions, text: str, expected: str) -> None:
    assert normalize(text, options) == expected


@pytest.mark.parametrize(
    "text",
    ["\x1b[31m赤\x1b[0m", "\x1b[1;31;48;5;200m赤", "\x1b]0;window title\x07赤", "\x1bc赤", "\x9b2J赤"],
)
def test_terminal_escape_sequences_are_dropped_whole(text: str) -> None:
    assert sanitize(text) == "赤"
    assert normalize(text) == "赤"  # not 「[31メートル赤」
