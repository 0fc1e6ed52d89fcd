"""Scenario 7: `/model upload` is for admins; a valid voice is installed and speaks, a hostile one is not."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import BotProcess
from tests.e2e.listen import utterances
from tests.fake_discord.server import ALICE, APPLICATION_ID, CAROL, FakeDiscord


async def _say_with(fake: FakeDiscord, voice: str) -> int:
    """``/say`` with ``voice``; returns how many packets the utterance had."""
    before = len(fake.voice.packets)
    await fake.run_command(ALICE, "say", {"text": "こえのテストです", "voice": voice})
    runs = await utterances(fake.voice, 1 + bool(before), timeout=30)
    return len(runs[-1])


async def test_model_upload(
    fake: FakeDiscord, bot: BotProcess, tmp_path: Path, tiny_voice_file: Path
) -> None:
    content = tiny_voice_file.read_bytes()
    models = tmp_path / "models"

    before = len(fake.calls)
    await fake.run_command(ALICE, "model upload", files={"file": ("tiny.safetensors", content)})
    refusal = await fake.wait_for_call("POST", "/callback", timeout=10, after=before)
    assert refusal.json["type"] == 4 and refusal.json["data"]["flags"] & 64  # an ephemeral refusal
    assert not list(models.iterdir())

    token = await fake.run_command(CAROL, "model upload", files={"file": ("tiny.safetensors", content)})
    installed = await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=60)
    assert "tiny" in installed.json["content"]
    assert (models / "tiny.safetensors").is_file()
    assert await _say_with(fake, "tiny") > 0

    hostile = b'{"__metadata__": "' + b"A" * 200 + b'"}' + b"\x00" * 64
    token = await fake.run_command(CAROL, "model upload", files={"file": ("tiny.safetensors", hostile)})
    rejected = await fake.wait_for_call("POST", f"/webhooks/{APPLICATION_ID}/{token}", timeout=60)
    assert rejected.json["content"] != installed.json["content"]
    assert (models / "tiny.safetensors").read_bytes() == content
    assert await _say_with(fake, "tiny") > 0
