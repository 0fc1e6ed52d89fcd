"""Scenario 8: a server set up as its members expect: the default skip prefix, an imported
dictionary word and join announcements, heard through the fake voice channel."""

from __future__ import annotations

import asyncio

from tests.e2e.conftest import BotProcess
from tests.e2e.listen import SILENCE, expected_audio, locate
from tests.fake_discord.server import ALICE, CAROL, VOICE_CHANNEL_ID, FakeDiscord

SPOKEN = ["alice、サーバーのはなし", "carolさんが参加しました"]  # 鯖 is read さば without the import


async def _run(fake: FakeDiscord, user: object, name: str, **kwargs: object) -> None:
    token = await fake.run_command(user, name, **kwargs)  # type: ignore[arg-type]
    await fake.wait_for_call("POST", token, timeout=20)  # a reply or a follow-up, whichever comes


async def test_skip_prefix_imported_reading_and_join_announcement_are_heard(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    await _run(fake, CAROL, "settings announce_joins", options={"state": "on"})
    await _run(fake, CAROL, "dict import", files={"file": ("words.csv", "鯖,サーバー\n".encode())})
    await _run(fake, ALICE, "reader on")
    await fake.send_message(ALICE, ";これは読まない")  # the default skip prefix
    await fake.send_message(ALICE, "鯖の話")
    await asyncio.sleep(0.5)
    await fake.move(CAROL, VOICE_CHANNEL_ID)

    expected = [expected_audio(text) for text in SPOKEN]
    needed = sum(len(audio) for audio in expected) // 960
    for _ in range(300):
        if len(fake.voice.packets) >= needed and fake.voice.packets[-1].opus == SILENCE:
            break
        await asyncio.sleep(0.1)
    heard = fake.voice.pcm()
    position = 0
    for text, audio in zip(SPOKEN, expected, strict=True):
        found, snr = locate(audio, heard, position)
        assert snr >= 20.0, f"{text!r} not heard after sample {position} (best match {snr:.1f} dB)"
        position = found + len(audio) - 960
    assert locate(expected_audio("alice、これは読まない"), heard)[1] < 10.0, "the skipped message was read"
