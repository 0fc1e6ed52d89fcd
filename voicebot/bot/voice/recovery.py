"""What to do when Discord closes a voice connection: a small state machine, free of I/O.

Discord's voice close codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes):
4006 (session no longer valid) and network drops are retried with exponential backoff, a
bounded number of times; 4014 (kicked, moved, channel deleted) waits for a new voice server
and gives up if none comes; 4015 (voice server crashed) resumes; 4017 (DAVE end-to-end
encryption required) is a configuration problem and is reported, not retried; 4021 (rate
limited) and 4022 (call terminated) never reconnect. Any other code gives up. There is never
an unbounded reconnect loop.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Action", "Decision", "RecoveryDriver", "VoiceLink", "VoiceRecovery"]

_log = logging.getLogger(__name__)

NORMAL_CLOSE = 1000
RETRY_CODES = frozenset({4006, 4009})  # session no longer valid, session timed out
KICKED = 4014
SERVER_CRASHED = 4015
DAVE_REQUIRED = 4017


class Action(enum.Enum):
    """What the connection should do next."""

    RECONNECT = "reconnect"
    WAIT_FOR_SERVER = "wait_for_server"
    RESUME = "resume"
    GIVE_UP = "give_up"
    CLOSED = "closed"


@dataclass(frozen=True)
class Decision:
    """One step of the machine: an action, the delay before it, and why.

    ``message_key`` (a key of :mod:`voicebot.bot.messages`) is set when the user should be told.
    """

    action: Action
    reason: str
    delay: float = 0.0
    message_key: str | None = None


class VoiceRecovery:
    """Decides how to recover from each voice close code.

    Args:
        max_attempts: reconnects tried in a row before giving up.
        base_delay: first backoff delay in seconds; doubles per attempt.
        max_delay: cap of the backoff delay.
        dave_available: whether discord.py could load ``davey`` (``discord.voice_state.has_dave``):
            a 4017 then means the DAVE handshake itself failed, not a missing package.
    """

    def __init__(
        self,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        *,
        dave_available: bool = True,
    ) -> None:
        self.dave_available = dave_available
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.attempts = 0

    def on_close(self, code: int | None) -> Decision:
        """The decision for a close ``code``; ``None`` means the network dropped or timed out."""
        if code == NORMAL_CLOSE:
            return Decision(Action.CLOSED, "closed normally")
        if code is None or code in RETRY_CODES:
            return self._backoff("network lost" if code is None else f"session invalid ({code})")
        if code == KICKED:
            return Decision(
                Action.WAIT_FOR_SERVER, "disconnected by Discord (4014): kicked, moved or deleted"
            )
        if code == SERVER_CRASHED:
            return Decision(Action.RESUME, "voice server crashed (4015)")
        if code == DAVE_REQUIRED and self.dave_available:
            return Decision(
                Action.GIVE_UP,
                "the channel requires DAVE end-to-end encryption (4017) and the DAVE handshake failed "
                "although davey is loaded: update both (pip install -U 'discord.py[voice]' davey), and "
                "see the debug log of discord.gateway for the failing step",
                message_key="dave_failed",
            )
        if code == DAVE_REQUIRED:
            return Decision(
                Action.GIVE_UP,
                "the channel requires DAVE end-to-end encryption (4017) and discord.py could not load "
                "davey: run `voicebot doctor` to see why, reinstall it and restart",
                message_key="dave_unavailable",
            )
        return Decision(
            Action.GIVE_UP, f"voice closed with code {code}; not reconnecting", message_key="voice_lost"
        )

    def on_wait_failed(self) -> Decision:
        """After 4014 no new voice server arrived: the bot was kicked or the channel is gone."""
        return Decision(Action.GIVE_UP, "no new voice server after 4014", message_key="voice_lost")

    def on_resume_failed(self) -> Decision:
        """A resume after 4015 failed: fall back to a fresh connection with backoff."""
        return self._backoff("resume failed")

    def on_connected(self) -> None:
        """The connection works again: the next failure starts a fresh backoff."""
        self.attempts = 0

    def _backoff(self, reason: str) -> Decision:
        if self.attempts >= self.max_attempts:
            return Decision(
                Action.GIVE_UP,
                f"{reason}; gave up after {self.attempts} reconnects",
                message_key="voice_lost",
            )
        delay = min(self.max_delay, self.base_delay * 2**self.attempts)
        self.attempts += 1
        return Decision(Action.RECONNECT, reason, delay=delay)


class VoiceLink(Protocol):
    """The operations a voice connection offers the driver (discord.py's, or a fake in tests)."""

    @property
    def left(self) -> bool:
        """Whether the bot left this connection itself: nothing to recover, nothing to report."""

    async def wait_for_server(self) -> bool:
        """Wait for a new voice server and connect to it; ``True`` on success."""

    async def resume(self) -> bool:
        """Resume the session on the same server; ``True`` on success."""

    async def reconnect(self) -> bool:
        """Tear down and connect from scratch; ``True`` on success."""

    async def close(self) -> None:
        """Disconnect for good."""


class RecoveryDriver:
    """Applies :class:`VoiceRecovery` decisions to a :class:`VoiceLink`.

    Args:
        link: the connection to act on.
        recovery: the decision machine (one per connection).
        on_give_up: called once with the final decision when the connection is abandoned.
        sleep: the backoff sleep (injectable for tests).
    """

    def __init__(
        self,
        link: VoiceLink,
        recovery: VoiceRecovery,
        on_give_up: Callable[[Decision], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.link = link
        self.recovery = recovery
        self.on_give_up = on_give_up
        self.sleep = sleep
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def recovering(self) -> bool:
        """Whether a close is being handled (reconnect, resume or wait for a new server)."""
        return not self._idle.is_set()

    async def wait_recovered(self) -> None:
        """Return once no close is being handled: at once, or when the recovery succeeds or ends."""
        await self._idle.wait()

    async def handle_close(self, code: int | None) -> bool:
        """React to a close ``code``.

        Returns:
            ``True`` when the connection works again, ``False`` when it is closed for good.
        """
        self._idle.clear()
        try:
            return await self._recover(self.recovery.on_close(code))
        finally:
            self._idle.set()

    async def _recover(self, decision: Decision) -> bool:
        while True:
            if self.link.left:  # e.g. its channel emptied while a move's 4014 was being handled
                _log.info("voice connection: left by the bot, not recovering (%s)", decision.reason)
                return False
            _log.info("voice connection: %s -> %s", decision.reason, decision.action.value)
            if decision.action is Action.CLOSED:
                await self.link.close()
                return False
            if decision.action is Action.GIVE_UP:
                _log.warning("voice connection abandoned: %s", decision.reason)
                await self.link.close()
                if self.on_give_up is not None:
                    self.on_give_up(decision)
                return False
            if decision.action is Action.WAIT_FOR_SERVER:
                if await self.link.wait_for_server():
                    break
                decision = self.recovery.on_wait_failed()
            elif decision.action is Action.RESUME:
                if await self.link.resume():
                    break
                decision = self.recovery.on_resume_failed()
            else:
                await self.sleep(decision.delay)
                if await self.link.reconnect():
                    break
                decision = self.recovery.on_close(None)
        self.recovery.on_connected()
        return True
