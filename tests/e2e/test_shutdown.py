"""Scenario 7: SIGTERM while the bot speaks in voice: it leaves once, drops the queue and exits promptly."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.conftest import BotProcess, until
from tests.e2e.listen import utterances
from tests.fake_discord.server import ALICE, APPLICATION_ID, VOICE_CHANNEL_ID, FakeDiscord


async def test_sigterm_in_voice_leaves_once_and_exits_promptly(
    fake: FakeDiscord, bot: BotProcess, tmp_path: Path
) -> None:
    wal = tmp_path / "data" / "voicebot.sqlite3-wal"
    await fake.run_command(ALICE, "say", {"text": "ただいまより、点検します"})
    await until(lambda: bool(fake.voice.packets), timeout=20)
    token = await fake.run_command(ALICE, "say", {"text": "この文は読まれません"})
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=10)  # queued
    assert wal.exists()

    signalled = time.monotonic()
    await bot.stop()
    print(f"exited {time.monotonic() - signalled:.1f} s after SIGTERM")

    assert bot.process.returncode == 0, f"killed or failed:\n{bot.log_text()[-3000:]}"
    assert fake.voice_requests == [VOICE_CHANNEL_ID, None], "left voice more than once"
    assert "engine stopped" in bot.log_text()
    assert not wal.exists(), "the database was not closed"
    assert len(await utterances(fake.voice, 1, timeout=1)) == 1, "the queued utterance was spoken"
