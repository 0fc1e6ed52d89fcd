"""Options of :func:`~voicebot.text.normalize`: limits and the words spoken for what is not read."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["NormalizeOptions", "Resolver"]

Resolver = Callable[[str, int], str | None]
"""``resolve(kind, id) -> name or None``; kind is ``"user"``, ``"role"`` or ``"channel"``."""


@dataclass(frozen=True)
class NormalizeOptions:
    """How chat text becomes speakable Japanese. The defaults suit a Japanese server."""

    max_chars: int = 200
    """Longest normalized text; the rest is replaced by ``、`` + :attr:`cut_word`."""
    cut_word: str = "以下略"
    emoji: Literal["name", "drop"] = "name"
    """Read unicode emoji by their Japanese CLDR name, or drop them."""
    custom_emoji: Literal["name", "drop"] = "name"
    """Read a server's custom emoji (``<:name:id>``) by name, or drop them."""
    max_emoji: int = 3
    """Emoji read per message; later ones are dropped (repeats of one emoji count once)."""
    url_word: str = "URL"
    """Said for a bare link; empty drops links."""
    code_word: str = "コード"
    spoiler_word: str = "ネタバレ"
    user_word: str = "ユーザー"
    role_word: str = "ロール"
    channel_word: str = "チャンネル"
    time_word: str = "日時"
    """Said for a Discord timestamp that cannot be shown as a date."""
    laugh_word: str = "わら"
    """One ``w``; a run of two or more reads it twice."""
    max_repeat: int = 3
    """Longest run of one character (or two-character unit) kept: 「ーーーーー」 -> 「ーーー」."""
    utc_offset_hours: float = 9.0
    """Time zone in which Discord timestamps are read (Japan by default)."""
    clock: Callable[[], float] = field(default=time.time, repr=False)
    """Current UNIX time, for relative timestamps (``<t:...:R>``)."""
