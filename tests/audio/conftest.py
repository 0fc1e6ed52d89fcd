"""Fixtures for the audio tests."""

from __future__ import annotations

import numpy as np
import pyopenjtalk
import pytest


@pytest.fixture(scope="session")
def speech() -> tuple[np.ndarray, int]:
    """A Japanese sentence from Open JTalk: float32 samples in [-1, 1] and their rate (48 kHz)."""
    samples, rate = pyopenjtalk.tts("こんにちは、今日はいい天気ですね。音声のテストをしています。")
    return (samples / 32768.0).astype(np.float32), int(rate)
