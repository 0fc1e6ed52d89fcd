"""Scenario 6: the bot resumes a dropped gateway session; voice close 4006 is recovered from with
backoff, without losing speech and without a loop; 4017 ends voice once, with a reason."""

from __future__ import annotations

import asyncio
import time

from tests.audio.helpers import aligned_snr
from tests.e2e.conftest import BotProcess, until
from tests.e2e.listen import expected_audio, utterances
from tests.fake_discord.server import ALICE, APPLICATION_ID, TEXT_CHANNEL_ID, VOICE_CHANNEL_ID, FakeDiscord


async def _join(fake: FakeDiscord) -> None:
    token = await fake.run_command(ALICE, "join")
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)


async def test_gateway_drop_resumes_and_the_bot_still_speaks(fake: FakeDiscord, bot: BotProcess) -> None:
    await fake.drop_gateway(4000)
    await until(lambda: fake.resumes + fake.identifies > 1, timeout=15)
    assert (fake.resumes, fake.identifies) == (1, 1), "re-identified instead of resuming the session"
    await fake.run_command(ALICE, "say", {"text": "もどりました"})
    await utterances(fake.voice, 1, timeout=30)


async def _say_and_hear(fake: FakeDiscord, text: str) -> None:
    await fake.run_command(ALICE, "say", {"text": text})
    (packets,) = await utterances(fake.voice, 1, timeout=30)
    snr = aligned_snr(expected_audio(text), fake.voice.pcm(packets))
    assert snr >= 20.0, f"SNR {snr:.1f} dB"


async def test_voice_4006_reconnects_with_backoff_and_speech_waits_for_it(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    await _join(fake)
    dropped = time.monotonic()
    await fake.voice.drop(4006)
    await bot.wait_for_log("session invalid (4006) -> reconnect", timeout=10)
    await _say_and_hear(fake, "もどりました")  # asked for while the bot reconnects
    assert fake.voice.connections == 2
    assert fake.voice.opened_at[1] - dropped >= 0.9, "reconnected without backing off"
    assert fake.voice_requests == [VOICE_CHANNEL_ID, None, VOICE_CHANNEL_ID]


async def test_voice_4006_twice_in_a_row_does_not_loop(fake: FakeDiscord, bot: BotProcess) -> None:
    await _join(fake)
    fake.voice.close_codes = [4006]  # the reconnect is told the same
    await fake.voice.drop(4006)
    await until(lambda: fake.voice.connections == 3, timeout=20)
    await _say_and_hear(fake, "もどりました")
    await asyncio.sleep(2.0)
    assert fake.voice.connections == 3, "kept reconnecting"


async def test_voice_4017_gives_up_once_with_a_clear_reason(fake: FakeDiscord, bot: BotProcess) -> None:
    await _join(fake)
    before = len(fake.calls)
    await fake.voice.drop(4017)
    await bot.wait_for_log("requires DAVE end-to-end encryption (4017)", timeout=10)
    await fake.wait_for_call("POST", f"/channels/{TEXT_CHANNEL_ID}/messages", timeout=10, after=before)
    await asyncio.sleep(2.0)
    assert fake.voice.connections == 1, "reconnected after 4017"
