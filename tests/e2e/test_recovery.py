"""Scenario 6: the bot resumes a dropped gateway session; voice close 4017 ends voice once, with a reason."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.e2e.conftest import BotProcess
from tests.e2e.listen import utterances
from tests.fake_discord.server import ALICE, APPLICATION_ID, TEXT_CHANNEL_ID, FakeDiscord


async def _join(fake: FakeDiscord) -> None:
    token = await fake.run_command(ALICE, "join")
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)


async def _until(condition: Callable[[], bool], timeout: float) -> None:
    for _ in range(int(timeout * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_gateway_drop_resumes_and_the_bot_still_speaks(fake: FakeDiscord, bot: BotProcess) -> None:
    await fake.drop_gateway(4000)
    await _until(lambda: fake.resumes + fake.identifies > 1, timeout=15)
    assert (fake.resumes, fake.identifies) == (1, 1), "re-identified instead of resuming the session"
    await fake.run_command(ALICE, "say", {"text": "もどりました"})
    await utterances(fake.voice, 1, timeout=30)


async def test_voice_4017_gives_up_once_with_a_clear_reason(fake: FakeDiscord, bot: BotProcess) -> None:
    await _join(fake)
    before = len(fake.calls)
    await fake.voice.drop(4017)
    await bot.wait_for_log("requires DAVE end-to-end encryption (4017)", timeout=10)
    await fake.wait_for_call("POST", f"/channels/{TEXT_CHANNEL_ID}/messages", timeout=10, after=before)
    await asyncio.sleep(2.0)
    assert fake.voice.connections == 1, "reconnected after 4017"
