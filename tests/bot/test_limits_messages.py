"""Rate limits and the message catalogue."""

from __future__ import annotations

import string

import discord

from voicebot.bot.errors import Refusal
from voicebot.bot.limits import RateLimiter
from voicebot.bot.messages import MESSAGES, lang_of, text


def test_rate_limit_allows_count_per_window_and_says_how_long_to_wait() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert limiter.hit(1) == 0.0
    assert limiter.hit(1) == 0.0
    assert limiter.hit(1) == 10.0
    assert limiter.hit(2) == 0.0  # other users are not affected
    now[0] = 4.0
    assert limiter.hit(1) == 6.0
    now[0] = 10.0
    assert limiter.hit(1) == 0.0


def test_every_message_exists_in_both_languages_with_the_same_fields() -> None:
    fields = string.Formatter()
    for key, langs in MESSAGES.items():
        assert set(langs) == {"ja", "en"}, key
        names = [{f for _, f, _, _ in fields.parse(langs[lang]) if f} for lang in ("ja", "en")]
        assert names[0] == names[1], key


def test_language_follows_the_users_locale() -> None:
    assert lang_of(discord.Locale.japanese) == "ja"
    assert lang_of(discord.Locale.american_english) == "en"
    assert lang_of(discord.Locale.british_english) == "en"
    assert lang_of(None) == "ja"
    assert text("queue_full", discord.Locale.japanese, limit=3).startswith("読み上げ待ちが3件")
    assert "3 messages" in text("queue_full", discord.Locale.american_english, limit=3)


def test_a_refusal_is_readable_in_either_language() -> None:
    refusal = Refusal("too_long", count=300, limit=200)
    assert "200文字以内" in str(refusal)
    assert "within 200 characters" in refusal.message(discord.Locale.american_english)
