"""Scenario 4: ``/skip`` during a long utterance stops its packets at once; the queued one plays next."""

from __future__ import annotations

import asyncio
import time

from tests.e2e.conftest import BotProcess
from tests.e2e.listen import SILENCE, expected_audio, locate, utterances
from tests.fake_discord.server import ALICE, APPLICATION_ID, FakeDiscord

LONG = (
    "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"
    "何でも薄暗いじめじめした所で泣いていた事だけは記憶している。"
)
NEXT = "つぎのぶんです"
FRAME = 960  # samples per 20 ms packet at 48 kHz


async def test_skip_stops_the_utterance_and_plays_the_next(fake: FakeDiscord, bot: BotProcess) -> None:
    await fake.run_command(ALICE, "say", {"text": LONG})
    token = await fake.run_command(ALICE, "say", {"text": NEXT})
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    await asyncio.wait_for(_packets(fake, 50), timeout=30)  # one second into the long utterance
    skipped_at = time.monotonic()
    skip_index = len(fake.voice.packets)
    await fake.run_command(ALICE, "skip")

    await utterances(fake.voice, 1, timeout=30)
    heard = fake.voice.pcm()
    next_start, snr = locate(expected_audio(NEXT), heard, skip_index * FRAME)
    assert snr >= 20.0, f"the queued utterance was not heard after the skip (best match {snr:.1f} dB)"
    first = [packet for packet in fake.voice.packets[: next_start // FRAME] if packet.opus != SILENCE]
    stopped_after = first[-1].at - skipped_at
    print(f"packets stopped {stopped_after * 1000:.0f} ms after /skip was sent")
    assert stopped_after < 0.2
    assert len(heard) < len(expected_audio(LONG)) + len(expected_audio(NEXT))


async def _packets(fake: FakeDiscord, count: int) -> None:
    while len(fake.voice.packets) < count:
        await asyncio.sleep(0.02)
