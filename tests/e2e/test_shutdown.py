"""Scenario 7: SIGTERM while the bot speaks in voice: it leaves once, drops the queue and exits promptly."""

from __future__ import annotations

import asyncio
import time

from tests.e2e.conftest import BotProcess
from tests.e2e.listen import utterances
from tests.fake_discord.server import ALICE, VOICE_CHANNEL_ID, FakeDiscord


async def test_sigterm_in_voice_leaves_once_and_exits_promptly(fake: FakeDiscord, bot: BotProcess) -> None:
    await fake.run_command(ALICE, "say", {"text": "ただいまより、点検します"})
    for _ in range(400):
        if fake.voice.packets:
            break
        await asyncio.sleep(0.05)
    await fake.run_command(ALICE, "say", {"text": "この文は読まれません"})
    await asyncio.sleep(0.3)

    signalled = time.monotonic()
    await bot.stop()
    elapsed = time.monotonic() - signalled
    print(f"exited {elapsed:.1f} s after SIGTERM")

    assert bot.process.returncode == 0, f"killed or failed:\n{bot.log_text()[-3000:]}"
    assert fake.voice_requests == [VOICE_CHANNEL_ID, None], "left voice more than once"
    assert "stopped" in bot.log_text()
    assert len(await utterances(fake.voice, 1, timeout=1)) == 1, "the queued utterance was spoken"
