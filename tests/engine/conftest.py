"""Engines shared by the engine tests: starting one costs seconds, so each runs once per package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
import torch

from voicebot.config import Settings, load_settings
from voicebot.engine import AudioChunk, Engine, EngineTuning
from voicebot.voices import VoiceMeta, write_voice_file

FAST = EngineTuning(
    heartbeat_interval=0.2, heartbeat_timeout=10.0, poll_interval=0.1, grace_period=2.0, validate_timeout=60.0
)


async def collect(stream: AsyncIterator[AudioChunk]) -> list[AudioChunk]:
    """Every chunk of a synthesis stream."""
    return [chunk async for chunk in stream]


def audio(chunks: list[AudioChunk]) -> np.ndarray:
    """The chunks joined into one array of shape (S,)."""
    return np.concatenate([chunk.samples for chunk in chunks])


def tiny_voice_settings(root: Path, tiny_voice_file: Path, **overrides: Any) -> Settings:
    """Settings of an engine in ``root`` whose models folder holds the tiny voice as ``tiny``, the
    default voice; one torch thread per worker, compile off, float32 (the tests compare with the
    voice's own synthesis, and lower precision rounds batches differently), then ``overrides``."""
    (root / "models").mkdir()
    (root / "models" / "tiny.safetensors").write_bytes(tiny_voice_file.read_bytes())
    return load_settings(
        **{
            "models_dir": root / "models",
            "data_dir": root / "data",
            "torch_threads": 1,
            "compile": False,
            "precision": "float32",
            "default_voice": "tiny",
            **overrides,
        }
    )


@pytest.fixture(scope="package")
def second_voice_file(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_voice_state: dict[str, torch.Tensor],
    tiny_voice_meta: VoiceMeta,
) -> Path:
    """Another valid tiny voice (other weights, so another version)."""
    generator = torch.Generator().manual_seed(99)
    state = {
        name: t + 0.05 * torch.randn(t.shape, generator=generator) if t.is_floating_point() else t
        for name, t in tiny_voice_state.items()
    }
    path = tmp_path_factory.mktemp("second") / "second.safetensors"
    write_voice_file(path, state, tiny_voice_meta)
    return path


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def neural_engine(
    tmp_path_factory: pytest.TempPathFactory, tiny_voice_file: Path
) -> AsyncIterator[Engine]:
    """Two CPU workers, the tiny voice as ``tiny`` and the default voice, compile off."""
    settings = tiny_voice_settings(tmp_path_factory.mktemp("neural-engine"), tiny_voice_file, workers=2)
    engine = Engine(settings, FAST)
    await engine.start()
    yield engine
    await engine.close()
