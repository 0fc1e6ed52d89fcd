"""Fixtures: tiny models (the tests check behaviour and shapes, not quality)."""

from __future__ import annotations

import pytest
import torch

from tests.model.tiny import N_SYMBOLS, tiny_config
from voicebot.model import ET2Model

_VARIANTS = {
    "istft": {"head": "istft"},
    "ms_istft": {"head": "ms_istft"},
    "harmonic": {"head": "istft", "source": "harmonic"},
}


@pytest.fixture(params=list(_VARIANTS))
def model(request: pytest.FixtureRequest) -> ET2Model:
    """An inference model in eval mode, for each waveform head, and with the harmonic source."""
    torch.manual_seed(0)
    return ET2Model(tiny_config(**_VARIANTS[request.param]), N_SYMBOLS, n_speakers=2).eval()


@pytest.fixture(params=["none", "harmonic"])
def train_model(request: pytest.FixtureRequest) -> ET2Model:
    """A model with its training-only parts, without and with the harmonic source."""
    torch.manual_seed(0)
    return ET2Model(tiny_config(source=request.param), N_SYMBOLS, n_speakers=2, training=True)
