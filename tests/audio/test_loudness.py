"""LoudnessNormalizer: equal loudness from unequal inputs, smooth gain, nothing clips."""

from __future__ import annotations

import numpy as np
import pytest

from tests.audio.helpers import uneven_chunks
from voicebot.audio import AudioError, LoudnessNormalizer, measure_loudness


def _stream(normalizer: LoudnessNormalizer, samples: np.ndarray, rate: int, seed: int = 0) -> np.ndarray:
    chunks = uneven_chunks(samples, seed=seed, largest=rate // 2)
    return np.concatenate([normalizer.process(chunk, rate) for chunk in chunks])


def test_sine_reads_as_bs1770_expects() -> None:
    t = np.arange(48_000) / 48_000
    tone = 10 ** (-20 / 20) * np.sin(2 * np.pi * 997 * t)
    loudness = measure_loudness(tone, 48_000)
    assert loudness is not None
    assert loudness == pytest.approx(-23.0, abs=0.5)  # a full-scale mono sine is -3 LUFS


def test_inputs_20_db_apart_come_out_equally_loud(speech: tuple[np.ndarray, int]) -> None:
    samples, rate = speech
    loud = _stream(LoudnessNormalizer(-20.0), samples * 1.0, rate, seed=1)
    quiet = _stream(LoudnessNormalizer(-20.0), samples * 0.1, rate, seed=2)

    loud_lufs, quiet_lufs = measure_loudness(loud, rate), measure_loudness(quiet, rate)
    assert loud_lufs is not None and quiet_lufs is not None
    assert abs(loud_lufs - quiet_lufs) <= 2.0
    assert loud_lufs == pytest.approx(-20.0, abs=2.0)
    assert max(np.abs(loud).max(), np.abs(quiet).max()) <= 10 ** (-1 / 20) + 1e-6


@pytest.mark.parametrize("rate", [24_000, 48_000])
def test_limiter_keeps_a_hot_input_under_the_ceiling(speech: tuple[np.ndarray, int], rate: int) -> None:
    samples, speech_rate = speech
    signal = samples[:: speech_rate // rate] * 8.0  # peaks far above full scale
    out = _stream(LoudnessNormalizer(-8.0, ceiling_db=-1.0), signal, rate)

    assert np.abs(out).max() <= 10 ** (-1 / 20) + 1e-6
    assert np.mean(np.abs(out) >= 10 ** (-1 / 20) - 1e-4) < 0.01  # limited, not flattened
    out_lufs = measure_loudness(out, rate)
    assert out_lufs is not None and out_lufs == pytest.approx(-8.0, abs=2.5)


def test_gain_moves_smoothly_across_chunks(speech: tuple[np.ndarray, int]) -> None:
    samples, rate = speech
    # The first words are 10 dB softer, so the first chunk's gain is too high; later chunks
    # pull it down, as a ramp, never a step.
    signal = samples.astype(np.float64).copy()
    signal[: len(signal) // 3] *= 0.3
    out = _stream(LoudnessNormalizer(-30.0), signal, rate, seed=4)

    audible = np.nonzero(np.abs(signal) > 1e-3)[0]
    gain_db = 20 * np.log10(np.abs(out[audible]) / np.abs(signal[audible]))
    neighbours = np.diff(audible) == 1
    assert np.abs(np.diff(gain_db))[neighbours].max() < 0.05  # dB from one sample to the next
    speaking = gain_db[gain_db != 0.0]  # 0 dB: the lead-in before the first word
    assert speaking[0] - speaking[-1] > 3.0


def test_first_word_starts_at_full_gain() -> None:
    tone = 0.01 * np.sin(2 * np.pi * 440 * np.arange(12_000) / 24_000)  # -40 dBFS, no lead-in
    out = LoudnessNormalizer(-20.0).process(tone, 24_000)
    audible = np.abs(tone[:2000]) > 1e-3
    gain = out[:2000][audible] / tone[:2000][audible]
    assert gain.min() == pytest.approx(gain.max(), rel=1e-3)
    assert gain.min() > 5.0  # boosted from the very first sample


def test_silence_stays_silent() -> None:
    normalizer = LoudnessNormalizer()
    out = normalizer.process(np.zeros(24_000, dtype=np.float32), 24_000)
    assert not out.any()
    assert normalizer.gain_db is None


def test_reset_starts_a_new_utterance(speech: tuple[np.ndarray, int]) -> None:
    samples, rate = speech
    normalizer = LoudnessNormalizer(-20.0)
    _stream(normalizer, samples, rate)
    normalizer.reset()
    quiet = _stream(normalizer, samples * 0.1, rate)
    quiet_lufs = measure_loudness(quiet, rate)
    assert quiet_lufs is not None and quiet_lufs == pytest.approx(-20.0, abs=2.0)


def test_rejects_bad_settings_and_input() -> None:
    with pytest.raises(AudioError, match="target"):
        LoudnessNormalizer(target_lufs=5.0)
    with pytest.raises(AudioError, match="ceiling"):
        LoudnessNormalizer(ceiling_db=1.0)
    with pytest.raises(AudioError, match="mono"):
        LoudnessNormalizer().process(np.zeros((2, 10)), 24_000)
