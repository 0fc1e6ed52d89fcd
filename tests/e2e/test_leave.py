"""Scenario 5: the bot leaves the voice channel when the last human leaves it, not before; kicked,
it closes its session and the next message brings it back."""

from __future__ import annotations

import asyncio

from tests.audio.helpers import aligned_snr
from tests.e2e.conftest import BotProcess
from tests.e2e.listen import expected_audio, utterances
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


async def test_kicked_from_voice_the_session_closes_and_the_next_message_rejoins(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    token = await fake.run_command(ALICE, "join")
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    connections = fake.voice.connections
    await fake.move(BOT, None)  # an admin disconnects the bot
    await bot.wait_for_log("bot was disconnected from voice", timeout=10)

    token = await fake.run_command(ALICE, "say", {"text": "もどりました"})
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    (packets,) = await utterances(fake.voice, 1, timeout=30)  # not "the bot is shutting down"
    assert fake.voice_channel_of[BOT.id] == VOICE_CHANNEL_ID and fake.voice.connections == connections + 1
    assert aligned_snr(expected_audio("もどりました"), fake.voice.pcm(packets)) >= 20.0
