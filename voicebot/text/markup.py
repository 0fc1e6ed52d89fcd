"""Discord markup to words: code, spoilers, mentions, custom emoji, timestamps, links, markdown."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

from voicebot.text.options import NormalizeOptions, Resolver
from voicebot.text.sanitize import sanitize

__all__ = [
    "MAX_NAME_CHARS",
    "format_timestamp",
    "replace_hidden",
    "replace_links",
    "replace_tokens",
    "strip_markdown",
]

_log = logging.getLogger(__name__)

MAX_NAME_CHARS = 32
"""Longest name read for a mention (Discord names are at most 32 characters)."""

_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_SPOILER = re.compile(r"\|\|.+?\|\|", re.DOTALL)
_TOKEN = re.compile(
    r"<@!?(?P<user>\d{1,20})>|<@&(?P<role>\d{1,20})>|<#(?P<channel>\d{1,20})>"
    r"|<a?:(?P<emoji>\w{1,32}):\d{1,20}>|</(?P<command>[\w -]{1,64}):\d{1,20}>"
    r"|<t:(?P<time>-?\d{1,15})(?::(?P<style>[tTdDfFR]))?>"
)
_MASKED_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(<?(?:https?|ftp)://[^\s)]+>?\)")
_URL = re.compile(r"<?(?:https?|ftp)://[^\s<>]+>?|\bwww\.[\w-]+(?:\.[\w-]+)+[^\s<>]*", re.IGNORECASE)
_LINE_MARKUP = re.compile(r"^[ \t]*(?:>>>|>|#{1,3}|-#|[-*+])[ \t]+", re.MULTILINE)
_EMPHASIS = re.compile(r"\*\*|__|~~")
_SINGLE = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)")
_WEEKDAYS = "月火水木金土日"
_RELATIVE_UNITS = ((365 * 86400, "年"), (30 * 86400, "か月"), (86400, "日"), (3600, "時間"), (60, "分"))


def replace_hidden(text: str, options: NormalizeOptions) -> str:
    """Code blocks and inline code become ``options.code_word``; ``||spoilers||`` the spoiler word."""
    text = _CODE.sub(f" {options.code_word} ", text)
    return _SPOILER.sub(f" {options.spoiler_word} ", text)


def format_timestamp(seconds: int, style: str | None, options: NormalizeOptions) -> str:
    """A Discord timestamp (``<t:seconds:style>``) as spoken Japanese in the options' time zone.

    Styles: ``t`` 7時13分, ``T`` with seconds, ``d``/``D`` the date, ``f`` (default) date and time,
    ``F`` with the weekday, ``R`` relative (3日後, 5分前).
    """
    if style == "R":
        delta = seconds - options.clock()
        amount, unit = next(
            ((int(abs(delta) // size), name) for size, name in _RELATIVE_UNITS if abs(delta) >= size),
            (0, ""),
        )
        if not unit:
            return "今"
        return f"{amount}{unit}{'後' if delta > 0 else '前'}"
    try:
        zone = timezone(timedelta(hours=options.utc_offset_hours))
        moment = datetime.fromtimestamp(seconds, zone)
    except (OverflowError, ValueError, OSError):
        return options.time_word
    date = f"{moment.year}年{moment.month}月{moment.day}日"
    clock = f"{moment.hour}時{moment.minute}分"
    if style == "t":
        return clock
    if style == "T":
        return f"{clock}{moment.second}秒"
    if style in ("d", "D"):
        return date
    if style == "F":
        return f"{date}{_WEEKDAYS[moment.weekday()]}曜日 {clock}"
    return f"{date} {clock}"


def _resolve(resolve: Resolver | None, kind: str, ident: int) -> str | None:
    if resolve is None:
        return None
    try:
        name = resolve(kind, ident)
    except Exception:  # a faulty resolver must not silence the message
        _log.exception("resolver failed for %s %d", kind, ident)
        return None
    if not isinstance(name, str):
        return None
    return sanitize(name)[:MAX_NAME_CHARS].strip() or None


def replace_tokens(text: str, options: NormalizeOptions, resolve: Resolver | None = None) -> str:
    """Mentions, custom emoji, slash-command mentions and timestamps become words.

    Mentions go through ``resolve(kind, id)``; without a resolver, or when it returns
    ``None``, they become the neutral word of their kind. Custom emoji are read by name (or
    dropped, as ``options.custom_emoji`` says).
    """

    def word(match: re.Match[str]) -> str:
        kind = "time" if match["time"] is not None else match.lastgroup or ""
        if kind == "emoji" and options.custom_emoji == "drop":
            return " "
        if kind == "emoji" or kind == "command":
            return f" {match[kind].replace('_', ' ')} "
        if kind == "time":
            return f" {format_timestamp(int(match['time']), match['style'], options)} "
        neutral = {"user": options.user_word, "role": options.role_word, "channel": options.channel_word}
        return f" {_resolve(resolve, kind, int(match[kind])) or neutral[kind]} "

    return _TOKEN.sub(word, text)


def replace_links(text: str, options: NormalizeOptions) -> str:
    """Masked links ``[text](url)`` keep their text; bare URLs become ``options.url_word``."""
    text = _MASKED_LINK.sub(r"\1", text)
    return _URL.sub(f" {options.url_word} ", text)


def strip_markdown(text: str) -> str:
    """Drop emphasis (``**``, ``__``, ``~~``, single ``*``/``_`` pairs), quotes, headings and bullets."""
    text = _LINE_MARKUP.sub("", text)
    text = _EMPHASIS.sub("", text)
    return _SINGLE.sub(lambda m: m[1] or m[2], text)
