"""The Discord bot: client, plugin registry, per-guild voice sessions, messages.

Plugins use :class:`PluginContext` (handed to their ``setup(ctx)``), raise :class:`Refusal` to
decline a request with a message in the user's language, and reach the engine, database and
voice sessions through ``ctx.services`` (:class:`BotServices`).
"""

from __future__ import annotations

from voicebot.bot.errors import LoginError, PluginError, Refusal
from voicebot.bot.messages import text
from voicebot.bot.plugin import PluginContext, PluginSettings
from voicebot.bot.registry import PluginRegistry
from voicebot.bot.runner import serve
from voicebot.bot.services import BotServices, is_admin
from voicebot.bot.voice.manager import SessionManager
from voicebot.bot.voice.session import Utterance, VoiceSession

__all__ = [
    "BotServices",
    "LoginError",
    "PluginContext",
    "PluginError",
    "PluginRegistry",
    "PluginSettings",
    "Refusal",
    "SessionManager",
    "Utterance",
    "VoiceSession",
    "is_admin",
    "serve",
    "text",
]
