"""Scenario 2: ``/say`` from a member in voice is answered, the bot joins, and the audio arrives intact."""

from __future__ import annotations

import time

from tests.audio.helpers import aligned_snr
from tests.e2e.conftest import BotProcess, until
from tests.e2e.listen import expected_audio, utterances
from tests.fake_discord.server import ALICE, APPLICATION_ID, VOICE_CHANNEL_ID, FakeDiscord


async def test_say_is_answered_and_heard(fake: FakeDiscord, bot: BotProcess) -> None:
    before = len(fake.calls)
    sent = time.monotonic()
    token = await fake.run_command(ALICE, "say", {"text": "こんにちは"})

    callback = await fake.wait_for_call("POST", "/callback", timeout=10, after=before)
    assert callback.json["type"] == 5  # deferred: the bot answers before it speaks
    follow_up = await fake.wait_for_call(
        "POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20, after=before
    )
    assert follow_up.json["content"]
    assert fake.bot_channel() == VOICE_CHANNEL_ID

    (packets,) = await utterances(fake.voice, 1, timeout=30)
    latency = packets[0].at - sent
    print(f"first packet {latency * 1000:.0f} ms after the interaction, {len(packets)} packets")
    assert latency < 10.0
    snr = aligned_snr(expected_audio("こんにちは"), fake.voice.pcm(packets))
    print(f"SNR {snr:.1f} dB against the engine's synthesis")
    assert snr >= 20.0, f"SNR {snr:.1f} dB"


async def test_speech_does_not_wait_for_discord_to_acknowledge_the_command(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    await fake.run_command(ALICE, "join")
    await until(lambda: fake.bot_channel() == VOICE_CHANNEL_ID, timeout=20)
    fake.callback_delay = 2.0  # Discord takes its time to answer the deferral
    sent = time.monotonic()
    token = await fake.run_command(ALICE, "say", {"text": "はやい"})
    (packets,) = await utterances(fake.voice, 1, timeout=30)
    assert packets[0].at - sent < fake.callback_delay, "the audio waited for the deferral"
    follow_up = await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    assert follow_up.json["content"]  # the usual reply still comes, after the deferral
