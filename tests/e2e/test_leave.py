"""Scenario 5: the bot leaves the voice channel when the last human leaves it, not before; kicked,
it closes its session and the next message brings it back; moved by an admin, it leaves an empty
channel and stays with listeners."""

from __future__ import annotations

import asyncio

from tests.audio.helpers import aligned_snr
from tests.e2e.conftest import BotProcess, until
from tests.e2e.listen import expected_audio, utterances
from tests.fake_discord.server import (
    ALICE,
    APPLICATION_ID,
    BOB,
    BOT,
    OTHER_VOICE_CHANNEL_ID,
    VOICE_CHANNEL_ID,
    FakeDiscord,
)


async def test_bot_leaves_with_the_last_human(fake: FakeDiscord, bot: BotProcess) -> None:
    token = await fake.run_command(ALICE, "join")
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    assert fake.bot_channel() == VOICE_CHANNEL_ID

    await fake.move(ALICE, None)
    await asyncio.sleep(1.0)
    assert fake.bot_channel() == VOICE_CHANNEL_ID, "left while bob was still listening"

    await fake.move(BOB, None)
    for _ in range(50):
        if fake.bot_channel() is None:
            break
        await asyncio.sleep(0.1)
    assert fake.bot_channel() is None


async def test_kicked_from_voice_the_session_closes_and_the_next_message_rejoins(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    token = await fake.run_command(ALICE, "join")
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    connections = fake.voice.connections
    await fake.move(BOT, None)  # an admin disconnects the bot
    await bot.wait_for_log("bot was disconnected from voice", timeout=10)

    token = await fake.run_command(ALICE, "say", {"text": "もどりました"})
    # Promptly: not after discord.py's 20 s wait for a leave confirmation Discord never sends.
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=8)
    (packets,) = await utterances(fake.voice, 1, timeout=30)  # not "the bot is shutting down"
    assert fake.bot_channel() == VOICE_CHANNEL_ID and fake.voice.connections == connections + 1
    assert aligned_snr(expected_audio("もどりました"), fake.voice.pcm(packets)) >= 20.0


async def test_moved_by_an_admin_it_leaves_an_empty_channel_and_follows_to_listeners(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    token = await fake.run_command(ALICE, "join")
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)

    await fake.move(BOT, OTHER_VOICE_CHANNEL_ID)  # dragged into a channel nobody is in
    await bot.wait_for_log("no humans left in the voice channel, leaving", timeout=10)
    await until(lambda: fake.bot_channel() is None, timeout=10)

    await fake.move(BOB, OTHER_VOICE_CHANNEL_ID)
    token = await fake.run_command(ALICE, "say", {"text": "もどりました"})
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    await utterances(fake.voice, 1, timeout=30)
    assert fake.bot_channel() == VOICE_CHANNEL_ID, "the next message did not bring it back"

    requests = len(fake.voice_requests)
    await fake.move(BOT, OTHER_VOICE_CHANNEL_ID)  # dragged to bob: it stays and speaks there
    token = await fake.run_command(BOB, "say", {"text": "こちらです"})
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    runs = await utterances(fake.voice, 2, timeout=30)
    assert aligned_snr(expected_audio("こちらです"), fake.voice.pcm(runs[-1])) >= 20.0
    assert fake.bot_channel() == OTHER_VOICE_CHANNEL_ID
    assert fake.voice_requests[requests:] == [], "it went back instead of following"
