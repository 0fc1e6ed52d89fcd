"""The unmodified bot (``python -m voicebot run``) in a subprocess, logged in to a fake Discord.

The bot reaches the fake only through its endpoint settings. Used by the e2e suite and by
``voicebot bench e2e``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from tests.fake_discord.server import FakeDiscord

__all__ = ["ROOT", "TOKEN", "BotDidNotStart", "BotProcess", "start_bot"]

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.Gabcde.fake-token-for-local-tests-only"
STARTUP_TIMEOUT = 60.0
STOP_GRACE = 5.0


class BotDidNotStart(RuntimeError):
    """The bot exited or did not log in to the fake in time; the message ends with its log."""


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


async def start_bot(
    fake: FakeDiscord, folder: Path, settings: dict[str, str], startup_timeout: float = STARTUP_TIMEOUT
) -> BotProcess:
    """``voicebot run`` logged in to ``fake``, started in ``folder`` (its log goes there too; start
    it again with the same folder to restart it).

    Args:
        settings: ``VOICEBOT_*`` variables besides the fake's endpoints; none is inherited.
        startup_timeout: seconds to log in (the workers compile first when compile is on).

    Raises:
        BotDidNotStart: it exited or did not log in within ``startup_timeout`` seconds.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOICEBOT_")}
    env.update(
        {
            "VOICEBOT_DISCORD_TOKEN": TOKEN,
            "VOICEBOT_DISCORD_API_BASE": fake.api_base,
            "VOICEBOT_DISCORD_GATEWAY_URL": fake.gateway_url,
            "VOICEBOT_DISCORD_CA_FILE": str(folder / "fake-discord.pem"),
            "VOICEBOT_PLUGINS_DIR": str(ROOT / "plugins"),
            "PYTHONPATH": str(ROOT),
            **settings,
        }
    )
    fake.reset_connection()
    starts = len(list(folder.glob("bot*.log")))
    log = folder / ("bot.log" if not starts else f"bot-{starts + 1}.log")  # one log per process
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "voicebot",
            "run",
            cwd=folder,
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    running = BotProcess(process, log)
    exited = asyncio.ensure_future(process.wait())
    connected = asyncio.ensure_future(fake.wait_connected(startup_timeout))
    await asyncio.wait({exited, connected}, return_when=asyncio.FIRST_COMPLETED)
    exited.cancel()
    if not connected.done() or connected.exception() is not None:
        connected.cancel()
        await running.stop()
        raise BotDidNotStart(f"the bot did not log in to the fake Discord:\n{running.log_text()[-3000:]}")
    try:
        await running.wait_for_log("logged in as", startup_timeout)  # on_ready waits ~2 s for more guilds
    except AssertionError as exc:
        await running.stop()
        raise BotDidNotStart(str(exc)) from None
    return running
