"""Fixtures shared by every test folder.

torch and the model are imported inside the fixtures, so test folders that do not use them
(storage, bot messages...) do not pay for the import.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests import netns
from tests.postgres import PostgresServer, postgres_server
from tests.ray_cluster import RayCluster, local_ray_cluster

if TYPE_CHECKING:
    import torch

    from voicebot.model import ModelConfig
    from voicebot.voices import VoiceMeta

TINY_SPEAKERS = ("alpha", "kumo")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Run the session in a loopback-only network namespace (see :mod:`tests.netns`)."""
    netns.reexec(config)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real Postgres server for the session (see :mod:`tests.postgres`)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayCluster]:
    """A real local Ray cluster for the session: a head and one more node, one CPU each (see
    :mod:`tests.ray_cluster`). A test that removes a node adds one back."""
    with local_ray_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def tiny_model_config() -> ModelConfig:
    """A model config small enough to build and run in milliseconds."""
    from voicebot.model import ModelConfig

    return ModelConfig(
        hidden_channels=16,
        text_conv_layers=1,
        text_attention_layers=1,
        attention_heads=2,
        aligner_layers=1,
        duration_layers=1,
        latent_channels=8,
        prior_layers=1,
        prior2_layers=1,
        posterior_layers=1,
        decoder_channels=16,
        decoder_intermediate=32,
        decoder_layers=1,
        speaker_channels=8,
    )


@pytest.fixture(scope="session")
def tiny_voice_meta(tiny_model_config: ModelConfig) -> VoiceMeta:
    """Metadata of the tiny test voice: speakers ``alpha`` (default) and ``kumo``."""
    from voicebot.text import SYMBOL_TABLE_VERSION, SYMBOLS
    from voicebot.voices import VoiceMeta

    return VoiceMeta(
        display_name="Tiny test voice",
        config=tiny_model_config,
        symbols=SYMBOLS,
        symbol_table_version=SYMBOL_TABLE_VERSION,
        speakers=TINY_SPEAKERS,
        default_speaker=TINY_SPEAKERS[0],
        license="CC0-1.0",
        provenance="random weights, written by the test suite",
    )


@pytest.fixture(scope="session")
def tiny_voice_state(tiny_voice_meta: VoiceMeta) -> dict[str, torch.Tensor]:
    """Random (seeded) weights of the tiny model, as a state dict."""
    import torch

    from voicebot.model import ET2Model

    torch.manual_seed(1234)
    model = ET2Model(tiny_voice_meta.config, len(tiny_voice_meta.symbols), len(TINY_SPEAKERS), training=False)
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


@pytest.fixture(scope="session")
def tiny_voice_file(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_voice_state: dict[str, torch.Tensor],
    tiny_voice_meta: VoiceMeta,
) -> Path:
    """A valid voice file of a tiny random-weight model with speakers ``alpha`` and ``kumo``."""
    from voicebot.voices import write_voice_file

    path = tmp_path_factory.mktemp("voices") / "tiny.safetensors"
    write_voice_file(path, tiny_voice_state, tiny_voice_meta)
    return path
