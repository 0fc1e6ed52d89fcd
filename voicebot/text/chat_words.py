"""Chat and tech words that the English-to-katakana model reads wrongly, with their usual reading.

One table, looked up case-insensitively before the model (``github`` would be ギタブ, ``ok``
オク, ``wifi`` ウィフィ). Add a word here only when the model's reading is wrong; a server's
own words belong in its dictionary (``/dict add``).
"""

from __future__ import annotations

__all__ = ["CHAT_WORDS"]

CHAT_WORDS: dict[str, str] = {
    "afk": "エーエフケー",
    "api": "エーピーアイ",
    "btw": "バイザウェイ",
    "chatgpt": "チャットジーピーティー",
    "github": "ギットハブ",
    "gitlab": "ギットラボ",
    "hmm": "フーン",
    "idk": "アイドンノウ",
    "ios": "アイオーエス",
    "ipad": "アイパッド",
    "json": "ジェイソン",
    "macos": "マックオーエス",
    "nintendo": "ニンテンドー",
    "ok": "オーケー",
    "omg": "オーマイガー",
    "openai": "オープンエーアイ",
    "pls": "プリーズ",
    "plz": "プリーズ",
    "thx": "サンクス",
    "tiktok": "ティックトック",
    "typescript": "タイプスクリプト",
    "ubuntu": "ウブントゥ",
    "usb": "ユーエスビー",
    "vscode": "ブイエスコード",
    "vtuber": "ブイチューバー",
    "wifi": "ワイファイ",
    "windows": "ウィンドウズ",
    "xbox": "エックスボックス",
}
"""Lower-case word -> katakana reading."""
