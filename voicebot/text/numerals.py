"""Numbers in chat formats to forms Open JTalk reads right.

Open JTalk reads plain digits, decimals, 「11月22日」, 「12時30分」 and 「1200円」 well; what it
misreads are the written conventions around them: ``2026/11/22``, ``12:30``, ``¥1,200``,
``$5``, ``-3``, ``3~5``, ``3-5人``, ``1/3``, ``1st``, ``2.5GB``. This module rewrites those
(text already NFKC-normalized).

``a/b`` (one to three digits each) is a date or a fraction by this rule:

1. a date (「a月b日」) when it is a valid month and day (a 1-12, b 1-31) followed by a weekday
   in brackets (``11/22(土)``), a time (``1/3 19:00``) or a range to another date
   (``12/28~1/3``), or preceded by such a range;
2. else a fraction (「b分のa」) when it is one of :data:`COMMON_FRACTIONS` (``1/2`` to ``1/10``,
   ``2/3``, ``3/4``): these are far more often fractions than early-January dates in chat;
3. else a date when it is a valid month and day (``11/22``, ``6/7``);
4. else a fraction when b is at least 2 (``13/20``), else left as written.

``a-b`` is a range (「aからb」) only when a < b, the pair is not part of a longer chain of
numbers (phone numbers, ``1-2-3``) and a counter or unit written in kanji or katakana follows
(``3-5人``, ``2-3回``, ``5-10km``): a score (``3-1``, ``1-3で負けた``) stays as written.
"""

from __future__ import annotations

import re

__all__ = ["COMMON_FRACTIONS", "ORDINALS", "UNITS", "read_numbers"]

UNITS: dict[str, str] = {
    "km/h": "キロメートル毎時",
    "km": "キロメートル",
    "cm": "センチメートル",
    "mm": "ミリメートル",
    "m": "メートル",
    "kg": "キログラム",
    "mg": "ミリグラム",
    "g": "グラム",
    "mL": "ミリリットル",
    "ml": "ミリリットル",
    "L": "リットル",
    "°C": "度",
    "°": "度",
    "KB": "キロバイト",
    "kB": "キロバイト",
    "MB": "メガバイト",
    "GB": "ギガバイト",
    "TB": "テラバイト",
    "Mbps": "メガビーピーエス",
    "Gbps": "ギガビーピーエス",
    "kHz": "キロヘルツ",
    "MHz": "メガヘルツ",
    "GHz": "ギガヘルツ",
    "Hz": "ヘルツ",
    "ms": "ミリ秒",
    "sec": "秒",
    "min": "分",
    "fps": "エフピーエス",
    "px": "ピクセル",
    "kcal": "キロカロリー",
}
"""Unit symbols read after a number, e.g. ``10km`` -> 10キロメートル."""

COMMON_FRACTIONS: frozenset[tuple[int, int]] = frozenset({(1, n) for n in range(2, 11)} | {(2, 3), (3, 4)})
"""``(numerator, denominator)`` pairs read as fractions unless a date cue says otherwise."""

ORDINALS: dict[int, str] = {
    1: "ファースト",
    2: "セカンド",
    3: "サード",
    4: "フォース",
    5: "フィフス",
    6: "シックスス",
    7: "セブンス",
    8: "エイス",
    9: "ナインス",
    10: "テンス",
}
"""English ordinals said as loanwords (``1st`` -> ファースト); higher ones read 「N番目」."""

_CURRENCIES = {"¥": "円", "$": "ドル", "€": "ユーロ", "£": "ポンド", "₩": "ウォン"}

_GROUPED = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])")
_YMD = re.compile(r"(?<![\d/.-])(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?![\d/.-])")
_SLASH = re.compile(r"(?<![\d/])(\d{1,3})/(\d{1,3})(?![\d/])")
_DATE_AFTER = re.compile(
    r"\s?(?:\((?:[月火水木金土日祝]|Mon|Tue|Wed|Thu|Fri|Sat|Sun)|\d{1,2}:\d{2}|[~〜-]\s?\d{1,2}/\d)"
)
_DATE_BEFORE = re.compile(r"\d/\d{1,2}\s?[~〜-]\s?$")
_DATE_HYPHEN = re.compile(r"(?<=\d日)\s?-\s?(?=(?:\d{4}年)?\d{1,2}月\d{1,2}日)")
# Kana may touch it (明日は1st); at most 9 digits: int() refuses strings of over 4300.
_ORDINAL = re.compile(r"(?<![A-Za-z0-9.])(\d{1,9})(st|nd|rd|th)(?![A-Za-z])")
_HYPHEN_RANGE = re.compile(r"(?<![\d.,-])(\d{1,4})-(\d{1,4})(?![\d.,-])(?=[\u3400-\u9fff\u30a1-\u30fa])")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])")
_CURRENCY = re.compile(r"([¥$€£₩])\s?(\d+(?:\.\d+)?)")
_PERCENT = re.compile(r"(\d)\s?%")
_RANGE = re.compile(r"(?<=\w)\s?[~〜]\s?(?=\d)")
_MINUS = re.compile(r"(?<![\w.])[-−](?=\d)")
_UNIT = re.compile(
    r"(?<=\d)\s?(" + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + r")(?![A-Za-z])"
)


def _date(match: re.Match[str]) -> str:
    year, month, day = int(match[1]), int(match[3]), int(match[4])
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{year}年{month}月{day}日"
    return match[0]


def _date_or_fraction(match: re.Match[str]) -> str:
    a, b = int(match[1]), int(match[2])
    is_date = 1 <= a <= 12 and 1 <= b <= 31
    if is_date and (
        _DATE_AFTER.match(match.string, match.end())
        or _DATE_BEFORE.search(match.string, max(0, match.start() - 12), match.start())
        or (a, b) not in COMMON_FRACTIONS
    ):
        return f"{a}月{b}日"
    return f"{b}分の{a}" if b >= 2 else match[0]


def _ordinal(match: re.Match[str]) -> str:
    number, suffix = int(match[1]), match[2]
    expected = "th" if number % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    if suffix != expected:
        return match[0]
    return ORDINALS.get(number, f"{number}番目")


def _hyphen_range(match: re.Match[str]) -> str:
    low, high = int(match[1]), int(match[2])
    return f"{match[1]}から{match[2]}" if low < high else match[0]


def _time(match: re.Match[str]) -> str:
    hour, minute = int(match[1]), int(match[2])
    second = int(match[3]) if match[3] else 0
    if hour > 47 or minute > 59 or second > 59:
        return match[0]
    spoken = f"{hour}時"
    if minute:
        spoken += f"{minute}分"
    if second:
        spoken += f"{second}秒"
    return spoken


def read_numbers(text: str) -> str:
    """Rewrite dates, fractions, times, ordinals, money, percentages, units, ranges and signs.

    ``2026/11/22`` -> 2026年11月22日, ``11/22`` -> 11月22日, ``1/3`` -> 3分の1 (the rule is in
    the module docstring), ``12:30`` -> 12時30分, ``1st`` -> ファースト, ``21st`` -> 21番目,
    ``¥1,200`` -> 1200円, ``$5`` -> 5ドル, ``50%`` -> 50パーセント, ``10km`` -> 10キロメートル,
    ``3~5`` -> 3から5, ``3-5人`` -> 3から5人, ``12/28-1/3`` -> 12月28日から1月3日, ``-3`` -> マイナス3.
    Digits themselves stay digits.
    """
    text = _GROUPED.sub(lambda m: m[0].replace(",", ""), text)
    text = _YMD.sub(_date, text)
    text = _SLASH.sub(_date_or_fraction, text)
    text = _DATE_HYPHEN.sub("から", text)
    text = _TIME.sub(_time, text)
    text = _ORDINAL.sub(_ordinal, text)
    text = _CURRENCY.sub(lambda m: f"{m[2]}{_CURRENCIES[m[1]]}", text)
    text = _PERCENT.sub(r"\1パーセント", text)
    text = _UNIT.sub(lambda m: UNITS[m[1]], text)
    text = _HYPHEN_RANGE.sub(_hyphen_range, text)
    text = _RANGE.sub("から", text)
    return _MINUS.sub("マイナス", text)
