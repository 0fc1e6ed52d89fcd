"""The unmodified bot (``python -m voicebot run``) in a subprocess, logged in to the fake Discord.

The bot reaches the fake only through its endpoint settings; it speaks with the Open JTalk voice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from tests.fake_discord.server import FakeDiscord
from tests.fake_discord.tls import self_signed

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.Gabcde.fake-token-for-local-tests-only"
STARTUP_TIMEOUT = 60.0
STOP_GRACE = 5.0


async def until(condition: Callable[[], bool], timeout: float) -> None:
    """Wait until ``condition()`` holds, checking every 50 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s")
        await asyncio.sleep(0.05)


class BotProcess:
    """The running bot and its log file."""

    def __init__(self, process: asyncio.subprocess.Process, log: Path) -> None:
        self.process = process
        self.log = log

    def log_text(self) -> str:
        """Everything the bot logged so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_for_log(self, line: str, timeout: float) -> None:
        """Wait until the bot has logged ``line`` (a substring)."""
        deadline = time.monotonic() + timeout
        while line not in self.log_text():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the bot did not log {line!r} in {timeout} s:\n{self.log_text()[-3000:]}"
                )
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """SIGTERM, as a service manager would; after ``STOP_GRACE`` seconds kill its process group.

        The kill keeps the suite going if the bot hangs; ``test_shutdown.py`` checks that it
        exits by itself (return code 0).
        """
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_GRACE)
            except TimeoutError:
                os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()


@pytest_asyncio.fixture
async def fake(tmp_path: Path) -> AsyncIterator[FakeDiscord]:
    tls, _ = self_signed(tmp_path)
    server = FakeDiscord(tls)
    await server.start()
    yield server
    await server.close()


async def start_bot(fake: FakeDiscord, tmp_path: Path) -> BotProcess:
    """``voicebot run`` logged in to ``fake``, its models and data in ``tmp_path`` (kept across
    restarts: start it again with the same folder)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOICEBOT_")}
    env.update(
        {
            "VOICEBOT_DISCORD_TOKEN": TOKEN,
            "VOICEBOT_DISCORD_API_BASE": fake.api_base,
            "VOICEBOT_DISCORD_GATEWAY_URL": fake.gateway_url,
            "VOICEBOT_DISCORD_CA_FILE": str(tmp_path / "fake-discord.pem"),
            "VOICEBOT_MODELS_DIR": str(tmp_path / "models"),
            "VOICEBOT_DATA_DIR": str(tmp_path / "data"),
            "VOICEBOT_PLUGINS_DIR": str(ROOT / "plugins"),
            "VOICEBOT_DEFAULT_VOICE": "openjtalk",
            "VOICEBOT_ADMIN_ROLE": "読み上げ管理",
            "VOICEBOT_WORKERS": "1",
            "VOICEBOT_TORCH_THREADS": "1",
            "VOICEBOT_COMPILE": "false",
            "VOICEBOT_DEVICE": "cpu",
            "VOICEBOT_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        }
    )
    (tmp_path / "models").mkdir(exist_ok=True)
    fake.reset_connection()
    starts = len(list(tmp_path.glob("bot*.log")))
    log = tmp_path / ("bot.log" if not starts else f"bot-{starts + 1}.log")  # one log per process
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "voicebot",
            "run",
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    running = BotProcess(process, log)
    exited = asyncio.ensure_future(process.wait())
    connected = asyncio.ensure_future(fake.wait_connected(STARTUP_TIMEOUT))
    await asyncio.wait({exited, connected}, return_when=asyncio.FIRST_COMPLETED)
    exited.cancel()
    if not connected.done() or connected.exception() is not None:
        connected.cancel()
        await running.stop()
        pytest.fail(f"the bot did not log in to the fake Discord:\n{running.log_text()[-3000:]}")
    await running.wait_for_log("logged in as", STARTUP_TIMEOUT)  # on_ready waits ~2 s for more guilds
    return running


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotProcess]:
    running = await start_bot(fake, tmp_path)
    yield running
    await running.stop()
