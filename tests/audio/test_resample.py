"""StreamResampler: chunking never changes the output, and the output is the right signal."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.audio.helpers import uneven_chunks
from voicebot.audio.errors import AudioError
from voicebot.audio.resample import StreamResampler


def _tone(rate: int, seconds: float, hz: float = 1000.0) -> np.ndarray:
    return np.sin(2 * np.pi * hz * np.arange(int(rate * seconds)) / rate)


@pytest.mark.parametrize("rate", [24_000, 22_050, 16_000, 44_100, 96_000])
def test_chunks_give_the_same_samples_as_one_piece(rate: int) -> None:
    signal = np.random.default_rng(0).standard_normal(rate // 2).astype(np.float32)
    resampler = StreamResampler(rate, 48_000)
    whole = np.concatenate([resampler.process(signal), resampler.flush()])
    pieces = [resampler.process(chunk) for chunk in uneven_chunks(signal, largest=900)]
    chunked = np.concatenate([*pieces, resampler.flush()])

    assert abs(len(whole) - len(signal) * 48_000 / rate) <= 1
    np.testing.assert_allclose(chunked, whole, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(
    rate=st.sampled_from([8_000, 16_000, 22_050, 24_000, 32_000, 44_100]),
    sizes=st.lists(st.integers(min_value=0, max_value=2_000), min_size=1, max_size=12),
)
def test_any_chunking_of_any_rate_gives_the_same_samples(rate: int, sizes: list[int]) -> None:
    signal = np.random.default_rng(len(sizes)).standard_normal(sum(sizes)).astype(np.float32)
    resampler = StreamResampler(rate, 48_000)
    whole = np.concatenate([resampler.process(signal), resampler.flush()])
    pieces = [resampler.process(piece) for piece in np.split(signal, np.cumsum(sizes)[:-1])]
    chunked = np.concatenate([*pieces, resampler.flush()])
    assert abs(len(chunked) - len(signal) * 48_000 / rate) <= 1
    np.testing.assert_allclose(chunked, whole, atol=1e-6)


@pytest.mark.parametrize("rate", [24_000, 22_050, 44_100])
def test_tone_keeps_its_pitch_level_and_timing(rate: int) -> None:
    resampler = StreamResampler(rate, 48_000)
    out = np.concatenate([resampler.process(_tone(rate, 0.5)), resampler.flush()])
    expected = _tone(48_000, 0.5)[: len(out)]
    inner = slice(200, -200)  # the edges start and end in silence
    error = out[inner] - expected[inner]
    assert 10 * np.log10(np.mean(expected[inner] ** 2) / np.mean(error**2)) > 60.0


def test_same_rate_passes_through() -> None:
    signal = np.linspace(-1, 1, 333, dtype=np.float32)
    resampler = StreamResampler(48_000, 48_000)
    np.testing.assert_array_equal(resampler.process(signal), signal)
    assert len(resampler.flush()) == 0


def test_rejects_non_positive_rates() -> None:
    with pytest.raises(AudioError, match="positive"):
        StreamResampler(0, 48_000)
