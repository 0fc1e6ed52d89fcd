"""Scenario 8: a server set up as its members expect: the default skip prefix, an imported
dictionary word and join announcements, heard through the fake voice channel; its settings and
dictionary outlive a restart of the bot; an auto-join channel brings the bot when a member enters."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.e2e.conftest import BotProcess, start_bot
from tests.e2e.listen import expected_audio, locate, utterances
from tests.fake_discord.server import ALICE, APPLICATION_ID, BOB, CAROL, VOICE_CHANNEL_ID, FakeDiscord

SPOKEN = ["alice、サーバーのはなし", "carolさんが参加しました"]  # 鯖 is read さば without the import


async def _run(fake: FakeDiscord, user: object, name: str, **kwargs: object) -> None:
    """Run a command and wait for its answer: the reply, or after a deferral the follow-up."""
    before = len(fake.calls)
    token = await fake.run_command(user, name, **kwargs)  # type: ignore[arg-type]
    answer = await fake.wait_for_call("POST", token, timeout=20, after=before)
    if answer.path.endswith("/callback") and answer.json["type"] == 5:
        await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=20, after=before)


async def test_skip_prefix_imported_reading_and_join_announcement_are_heard(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    await _run(fake, CAROL, "settings announce_joins", options={"state": "on"})
    await _run(fake, CAROL, "dict import", files={"file": ("words.csv", "鯖,サーバー\n".encode())})
    await _run(fake, ALICE, "reader on")
    await fake.send_message(ALICE, ";これは読まない")  # the default skip prefix
    await fake.send_message(ALICE, "鯖の話")
    await utterances(fake.voice, 1, timeout=30)  # the message first, however slow the machine
    await fake.move(CAROL, VOICE_CHANNEL_ID)
    await utterances(fake.voice, 2, timeout=30)

    heard = fake.voice.pcm()
    position = 0
    for text in SPOKEN:
        audio = expected_audio(text)
        found, snr = locate(audio, heard, position)
        assert snr >= 20.0, f"{text!r} not heard after sample {position} (best match {snr:.1f} dB)"
        position = found + len(audio) - 960
    assert locate(expected_audio("alice、これは読まない"), heard)[1] < 10.0, "the skipped message was read"


async def test_settings_and_dictionary_survive_a_restart(
    fake: FakeDiscord, bot: BotProcess, tmp_path: Path
) -> None:
    await _run(fake, CAROL, "settings name_suffix", options={"suffix": "さん"})
    await _run(fake, CAROL, "dict import", files={"file": ("words.csv", "鯖,サーバー\n".encode())})
    await bot.stop()
    assert bot.process.returncode == 0

    again = await start_bot(fake, tmp_path)
    try:
        before = len(fake.calls)
        await _run(fake, ALICE, "settings show")
        shown = [c for c in fake.calls[before:] if c.method == "POST" and c.json and "content" in str(c.json)]
        assert any("「さん」" in str(call.json) for call in shown), shown
        before = len(fake.calls)
        await _run(fake, ALICE, "dict list")
        assert any("鯖 → サーバー" in str(call.json) for call in fake.calls[before:])
    finally:
        await again.stop()


async def test_autojoin_brings_the_bot_when_a_member_enters_and_reads_the_channel(
    fake: FakeDiscord, bot: BotProcess
) -> None:
    await _run(fake, CAROL, "autojoin add", channels={"voice": VOICE_CHANNEL_ID})
    assert fake.bot_channel() is None
    await fake.move(BOB, None)
    await fake.move(BOB, VOICE_CHANNEL_ID)  # someone enters the paired voice channel
    for _ in range(100):
        if fake.bot_channel() == VOICE_CHANNEL_ID:
            break
        await asyncio.sleep(0.1)
    assert fake.bot_channel() == VOICE_CHANNEL_ID, "the bot did not join by itself"
    await fake.send_message(BOB, "じどうさんか")
    (packets,) = await utterances(fake.voice, 1, timeout=30)
    audio = expected_audio("bob、じどうさんか")
    assert locate(audio, fake.voice.pcm(packets))[1] >= 20.0
