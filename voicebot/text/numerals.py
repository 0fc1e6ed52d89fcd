"""Numbers in chat formats to forms Open JTalk reads right.

Open JTalk reads plain digits, decimals, 「11月22日」, 「12時30分」 and 「1200円」 well; what it
misreads are the written conventions around them: ``2026/11/22``, ``12:30``, ``¥1,200``,
``$5``, ``-3``, ``3~5``, ``2.5GB``. This module rewrites those (text already NFKC-normalized).
"""

from __future__ import annotations

import re

__all__ = ["UNITS", "read_numbers"]

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

_CURRENCIES = {"¥": "円", "$": "ドル", "€": "ユーロ", "£": "ポンド", "₩": "ウォン"}

_GROUPED = re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?![\d,])")
_YMD = re.compile(r"(?<![\d/.-])(\d{4})([/.-])(\d{1,2})\2(\d{1,2})(?![\d/.-])")
_MD = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?![\d/])")
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


def _month_day(match: re.Match[str]) -> str:
    month, day = int(match[1]), int(match[2])
    if 1 <= month <= 12 and 1 <= day <= 31:
        return f"{month}月{day}日"
    return match[0]


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
    """Rewrite dates, times, money, percentages, units, ranges and signs for reading.

    ``2026/11/22`` -> 2026年11月22日, ``11/22`` -> 11月22日, ``12:30`` -> 12時30分,
    ``¥1,200`` -> 1200円, ``$5`` -> 5ドル, ``50%`` -> 50パーセント, ``10km`` -> 10キロメートル,
    ``3~5`` -> 3から5, ``-3`` -> マイナス3. Digits themselves stay digits.
    """
    text = _GROUPED.sub(lambda m: m[0].replace(",", ""), text)
    text = _YMD.sub(_date, text)
    text = _TIME.sub(_time, text)
    text = _MD.sub(_month_day, text)
    text = _CURRENCY.sub(lambda m: f"{m[2]}{_CURRENCIES[m[1]]}", text)
    text = _PERCENT.sub(r"\1パーセント", text)
    text = _UNIT.sub(lambda m: UNITS[m[1]], text)
    text = _RANGE.sub("から", text)
    return _MINUS.sub("マイナス", text)
