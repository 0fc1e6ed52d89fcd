"""Scenario 5: the bot leaves the voice channel when the last human leaves it, not before."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import BotProcess
from tests.fake_discord.server import ALICE, APPLICATION_ID, BOB, BOT, VOICE_CHANNEL_ID, FakeDiscord


async def test_bot_leaves_with_the_last_human(fake: FakeDiscord, bot: BotProcess) -> None:
    token = await fake.run_command(ALICE, "join")
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    assert fake.voice_channel_of[BOT.id] == VOICE_CHANNEL_ID

    await fake.move(ALICE, None)
    await asyncio.sleep(1.0)
    assert fake.voice_channel_of[BOT.id] == VOICE_CHANNEL_ID, "left while bob was still listening"

    await fake.move(BOB, None)
    for _ in range(50):
        if fake.voice_channel_of[BOT.id] is None:
            break
        await asyncio.sleep(0.1)
    assert fake.voice_channel_of[BOT.id] is None
