"""The bot's typed errors. A :class:`Refusal` is what a user sees as an ephemeral reply."""

from __future__ import annotations

import discord

from voicebot.bot.messages import text
from voicebot.errors import VoicebotError

__all__ = ["LoginError", "PluginError", "Refusal"]


class Refusal(VoicebotError):
    """A request the bot declines; carries a message key so it can be said in the user's language."""

    def __init__(self, key: str, /, **fields: object) -> None:
        self.key = key
        self.fields = fields
        super().__init__(text(key, None, **fields))

    def message(self, locale: discord.Locale | str | None) -> str:
        """The refusal in the language of ``locale``."""
        return text(self.key, locale, **self.fields)


class PluginError(VoicebotError):
    """A plugin could not be found, imported or set up; nothing of it stays loaded."""


class LoginError(VoicebotError):
    """The Discord token is missing or malformed, or Discord refused the login."""
