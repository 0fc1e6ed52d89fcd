"""The validator's own limits, each with a file (or an event) that needs it: memory, speed,
time, and a validator process that dies."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import torch

from voicebot.engine import VoiceRejected
from voicebot.engine.pool import process_context
from voicebot.engine.validate import ValidatorLimits, validate_voice
from voicebot.voices import VoiceMeta, write_voice_file

pytestmark = pytest.mark.asyncio


def _slow_speaking_voice(
    path: Path, state: dict[str, torch.Tensor], meta: VoiceMeta, frames_per_token: float
) -> Path:
    """The tiny voice with every token ``frames_per_token`` frames long (the alignment
    predictor's output bias is log(1 + frames))."""
    state = dict(state)
    bias = "alignment_predictor.decoder_out.bias"
    state[bias] = torch.full_like(state[bias], float(np.log1p(frames_per_token)))
    write_voice_file(path, state, meta)
    return path


async def test_a_voice_that_needs_more_memory_than_allowed_is_refused_with_the_limit(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    # ~600 MiB to speak the test sentence at 1500 frames per token; without the limit it would be
    # refused later, for its speaking rate.
    path = _slow_speaking_voice(tmp_path / "hungry.safetensors", tiny_voice_state, tiny_voice_meta, 1500.0)
    with pytest.raises(VoiceRejected, match="needs more than the 256 MiB of memory a voice may use"):
        await validate_voice(process_context(), path, "hungry", ValidatorLimits(memory_mb=256))


async def test_a_voice_too_slow_for_chat_is_refused(tiny_voice_file: Path) -> None:
    # The tiny voice runs at an RTF near 0.01; a budget far below that makes it "too slow".
    with pytest.raises(VoiceRejected, match="too slow to read chat aloud"):
        await validate_voice(process_context(), tiny_voice_file, "tiny", ValidatorLimits(max_rtf=1e-5))
    info = await validate_voice(process_context(), tiny_voice_file, "tiny", ValidatorLimits())
    assert info.name == "tiny" and info.speakers == ("alpha", "kumo")


async def test_a_validator_past_its_time_is_killed_and_the_voice_refused(tiny_voice_file: Path) -> None:
    before = {p.pid for p in multiprocessing.active_children()}
    with pytest.raises(VoiceRejected, match=r"took longer than 0\.2 s"):
        await validate_voice(process_context(), tiny_voice_file, "tiny", ValidatorLimits(timeout=0.2))
    assert not {p.pid for p in multiprocessing.active_children()} - before


async def test_a_validator_that_dies_refuses_the_voice_and_says_how(tiny_voice_file: Path) -> None:
    task = asyncio.create_task(validate_voice(process_context(), tiny_voice_file, "tiny", ValidatorLimits()))
    for _ in range(200):
        validators = [p for p in multiprocessing.active_children() if p.name == "voicebot-validator"]
        if validators and validators[0].pid:
            break
        await asyncio.sleep(0.01)
    os.kill(validators[0].pid, signal.SIGKILL)
    with pytest.raises(VoiceRejected, match="the validator was killed by SIGKILL while loading the voice"):
        await task
