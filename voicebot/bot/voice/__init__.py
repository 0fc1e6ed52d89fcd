"""Voice: per-guild sessions, the managed voice client and its recovery state machine."""

from __future__ import annotations

from voicebot.bot.voice.manager import SessionManager
from voicebot.bot.voice.recovery import Action, Decision, RecoveryDriver, VoiceRecovery
from voicebot.bot.voice.session import Utterance, VoicePlayer, VoiceSession

__all__ = [
    "Action",
    "Decision",
    "RecoveryDriver",
    "SessionManager",
    "Utterance",
    "VoicePlayer",
    "VoiceRecovery",
    "VoiceSession",
]
