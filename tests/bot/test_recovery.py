"""The voice-error state machine: what happens for each Discord voice close code."""

from __future__ import annotations

import asyncio

import pytest

from voicebot.bot.voice.recovery import Action, Decision, RecoveryDriver, VoiceRecovery


class FakeLink:
    """A voice connection whose recovery attempts succeed or fail as scripted."""

    def __init__(
        self, *, wait_ok: bool = True, resume_ok: bool = True, reconnect_ok: list[bool] | None = None
    ):
        self.wait_ok = wait_ok
        self.resume_ok = resume_ok
        self.reconnect_ok = list(reconnect_ok or [True])
        self.calls: list[str] = []
        self.left = False

    async def wait_for_server(self) -> bool:
        self.calls.append("wait")
        return self.wait_ok

    async def resume(self) -> bool:
        self.calls.append("resume")
        return self.resume_ok

    async def reconnect(self) -> bool:
        self.calls.append("reconnect")
        return self.reconnect_ok.pop(0) if self.reconnect_ok else False

    async def close(self) -> None:
        self.calls.append("close")


def _driver(link: FakeLink, max_attempts: int = 3) -> tuple[RecoveryDriver, list[float], list[Decision]]:
    sleeps: list[float] = []
    gave_up: list[Decision] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    driver = RecoveryDriver(link, VoiceRecovery(max_attempts=max_attempts), gave_up.append, sleep)
    return driver, sleeps, gave_up


@pytest.mark.parametrize("code", [4006, None])
async def test_session_invalid_and_network_drop_reconnect_with_backoff(code: int | None) -> None:
    link = FakeLink(reconnect_ok=[False, False, True])
    driver, sleeps, gave_up = _driver(link)
    assert await driver.handle_close(code) is True
    assert link.calls == ["reconnect"] * 3
    assert sleeps == [1.0, 2.0, 4.0]
    assert gave_up == []


async def test_reconnects_are_bounded_then_the_user_is_told() -> None:
    link = FakeLink(reconnect_ok=[False] * 10)
    driver, _sleeps, gave_up = _driver(link, max_attempts=3)
    assert await driver.handle_close(4006) is False
    assert link.calls == ["reconnect"] * 3 + ["close"]
    assert [d.message_key for d in gave_up] == ["voice_lost"]


async def test_backoff_restarts_after_a_successful_reconnect() -> None:
    link = FakeLink(reconnect_ok=[False, True, True])
    driver, sleeps, _ = _driver(link)
    await driver.handle_close(None)
    await driver.handle_close(None)
    assert sleeps == [1.0, 2.0, 1.0]


async def test_4014_waits_for_a_new_voice_server() -> None:
    link = FakeLink(wait_ok=True)
    driver, _sleeps, gave_up = _driver(link)
    assert await driver.handle_close(4014) is True
    assert link.calls == ["wait"]
    assert not gave_up


async def test_4014_without_a_new_server_gives_up_without_reconnecting() -> None:
    link = FakeLink(wait_ok=False)
    driver, _, gave_up = _driver(link)
    assert await driver.handle_close(4014) is False
    assert link.calls == ["wait", "close"]
    assert len(gave_up) == 1


async def test_a_connection_the_bot_left_while_waiting_is_not_reported_lost() -> None:
    link = FakeLink(wait_ok=False)

    async def leave_meanwhile() -> bool:
        link.calls.append("wait")
        link.left = True  # its channel emptied: the bot left while the 4014 was being handled
        return False

    link.wait_for_server = leave_meanwhile  # type: ignore[method-assign]
    driver, _, gave_up = _driver(link)
    assert await driver.handle_close(4014) is False
    assert link.calls == ["wait"]
    assert gave_up == [], "a leave was announced as a lost connection"


async def test_4015_resumes() -> None:
    link = FakeLink(resume_ok=True)
    driver, sleeps, _ = _driver(link)
    assert await driver.handle_close(4015) is True
    assert link.calls == ["resume"]
    assert sleeps == []


async def test_4015_falls_back_to_a_fresh_connection_when_resume_fails() -> None:
    link = FakeLink(resume_ok=False, reconnect_ok=[True])
    driver, _sleeps, _ = _driver(link)
    assert await driver.handle_close(4015) is True
    assert link.calls == ["resume", "reconnect"]


async def test_4017_dave_required_is_said_once_with_what_actually_failed() -> None:
    link = FakeLink()
    driver, _, gave_up = _driver(link)
    assert await driver.handle_close(4017) is False
    assert link.calls == ["close"]
    # davey is a dependency and loads here: the handshake failed, so "install davey" would mislead.
    assert [d.message_key for d in gave_up] == ["dave_failed"]
    assert "handshake failed" in gave_up[0].reason and "install `davey`" not in gave_up[0].reason
    without = VoiceRecovery(dave_available=False).on_close(4017)
    assert without.message_key == "dave_unavailable" and "voicebot doctor" in without.reason


@pytest.mark.parametrize("code", [4021, 4022, 4004, 4016])
async def test_codes_that_never_reconnect(code: int) -> None:
    link = FakeLink()
    driver, _, gave_up = _driver(link)
    assert await driver.handle_close(code) is False
    assert link.calls == ["close"]
    assert len(gave_up) == 1


async def test_normal_close_is_not_an_error() -> None:
    link = FakeLink()
    driver, _, gave_up = _driver(link)
    assert await driver.handle_close(1000) is False
    assert link.calls == ["close"]
    assert gave_up == []


def test_backoff_delay_is_capped() -> None:
    recovery = VoiceRecovery(max_attempts=20, base_delay=1.0, max_delay=30.0)
    delays = [recovery.on_close(None).delay for _ in range(10)]
    assert delays[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert max(delays) == 30.0
    assert recovery.on_close(4014).action is Action.WAIT_FOR_SERVER


async def test_driver_reports_recovering_only_while_it_recovers() -> None:
    seen: list[bool] = []
    link = FakeLink()
    driver, _, _ = _driver(link)

    async def reconnect() -> bool:
        seen.append(driver.recovering)
        return True

    link.reconnect = reconnect  # type: ignore[method-assign]
    assert not driver.recovering
    assert await driver.handle_close(4006)
    assert seen == [True]
    assert not driver.recovering


async def test_speech_waiting_for_the_recovery_resumes_when_it_ends() -> None:
    link = FakeLink()
    driver, _, _ = _driver(link)
    await asyncio.wait_for(driver.wait_recovered(), 0.1)  # nothing to wait for
    reconnected = asyncio.Event()

    async def reconnect() -> bool:
        await reconnected.wait()
        return True

    link.reconnect = reconnect  # type: ignore[method-assign]
    handling = asyncio.create_task(driver.handle_close(4006))
    waiter = asyncio.create_task(driver.wait_recovered())
    await asyncio.sleep(0.05)
    assert not waiter.done(), "returned while the reconnect was still going on"
    reconnected.set()
    await asyncio.wait_for(waiter, 1.0)
    assert await handling
