"""Scenario 3: ``/reader on``, then chat from two users sent at once is read in order, a name said
on each change of speaker only."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import BotProcess
from tests.e2e.listen import SILENCE, expected_audio, locate
from tests.fake_discord.server import ALICE, APPLICATION_ID, BOB, FakeDiscord

MESSAGES = [(ALICE, "おはよう"), (ALICE, "いい天気ですね"), (BOB, "そうですね")]
MAX_GAP = 48_000 * 4 // 10  # samples
SPOKEN = ["alice、おはよう", "いい天気ですね", "bob、そうですね"]


async def test_reader_reads_messages_in_order(fake: FakeDiscord, bot: BotProcess) -> None:
    token = await fake.run_command(ALICE, "reader on")
    await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20)
    for user, content in MESSAGES:  # back to back: each is read before the next one is looked at
        await fake.send_message(user, content)
    expected = [expected_audio(text) for text in SPOKEN]
    needed = sum(len(audio) for audio in expected) // 960
    for _ in range(300):
        if len(fake.voice.packets) >= needed and fake.voice.packets[-1].opus == SILENCE:
            break
        await asyncio.sleep(0.1)
    heard = fake.voice.pcm()
    position = locate(expected[0], heard)[0]
    for text, audio in zip(SPOKEN, expected, strict=True):
        found, snr = locate(audio, heard, position)
        assert snr >= 20.0, f"{text!r} not heard after sample {position} (best match {snr:.1f} dB)"
        # nothing else (such as a name said again) between two utterances: only discord.py's silence
        assert found - position < MAX_GAP, (
            f"{(found - position) / 48_000:.2f} s of other audio before {text!r}"
        )
        position = found + len(audio) - 960
