"""Fixtures of the e2e suite: a fake Discord, and the unmodified bot logged in to it speaking
with the Open JTalk voice (:mod:`tests.fake_discord.bot`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from tests.fake_discord.bot import ROOT, BotDidNotStart, BotProcess
from tests.fake_discord.bot import start_bot as _start_bot
from tests.fake_discord.server import FakeDiscord
from tests.fake_discord.tls import self_signed

__all__ = ["BOT_SETTINGS", "ROOT", "BotProcess", "start_bot", "until"]

BOT_SETTINGS = {  # what every e2e bot runs with, besides its folders
    "VOICEBOT_DEFAULT_VOICE": "openjtalk",
    "VOICEBOT_ADMIN_ROLE": "読み上げ管理",
    "VOICEBOT_WORKERS": "1",
    "VOICEBOT_TORCH_THREADS": "1",
    "VOICEBOT_COMPILE": "false",
    "VOICEBOT_DEVICE": "cpu",
    "VOICEBOT_LOG_LEVEL": "INFO",
}


async def until(condition: Callable[[], bool], timeout: float) -> None:
    """Wait until ``condition()`` holds, checking every 50 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s")
        await asyncio.sleep(0.05)


@pytest_asyncio.fixture
async def fake(tmp_path: Path) -> AsyncIterator[FakeDiscord]:
    tls, _ = self_signed(tmp_path)
    server = FakeDiscord(tls)
    await server.start()
    yield server
    await server.close()


async def start_bot(fake: FakeDiscord, tmp_path: Path) -> BotProcess:
    """``voicebot run`` with the Open JTalk voice and one worker, logged in to ``fake``, its models
    and data in ``tmp_path`` (kept across restarts: start it again with the same folder)."""
    (tmp_path / "models").mkdir(exist_ok=True)
    try:
        return await _start_bot(
            fake,
            tmp_path,
            BOT_SETTINGS
            | {
                "VOICEBOT_MODELS_DIR": str(tmp_path / "models"),
                "VOICEBOT_DATA_DIR": str(tmp_path / "data"),
            },
        )
    except BotDidNotStart as exc:
        pytest.fail(str(exc))


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotProcess]:
    running = await start_bot(fake, tmp_path)
    yield running
    await running.stop()
