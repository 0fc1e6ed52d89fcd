"""Fixtures: tiny models (the tests check behaviour and shapes, not quality)."""

from __future__ import annotations

import pytest
import torch

from tests.model.tiny import N_SYMBOLS, tiny_config
from voicebot.model import ET2Model


@pytest.fixture(params=["istft", "ms_istft"])
def model(request: pytest.FixtureRequest) -> ET2Model:
    """An inference model in eval mode, for each waveform head."""
    torch.manual_seed(0)
    return ET2Model(tiny_config(head=request.param), N_SYMBOLS, n_speakers=2).eval()


@pytest.fixture
def train_model() -> ET2Model:
    """A model with its training-only parts."""
    torch.manual_seed(0)
    return ET2Model(tiny_config(), N_SYMBOLS, n_speakers=2, training=True)
