"""The Open JTalk voice works out of the box, sentence by sentence."""

from __future__ import annotations

import numpy as np
import pytest

from voicebot.voices import OpenJTalkVoice, UnknownSpeaker

TEXT = "こんにちは。読み上げボットです。"


def test_streams_one_chunk_per_sentence_in_range() -> None:
    voice = OpenJTalkVoice()
    assert voice.name == "openjtalk" and voice.sample_rate == 48000
    chunks = list(voice.stream(TEXT))
    assert len(chunks) == 2
    for chunk in chunks:
        assert chunk.dtype == np.float32 and chunk.ndim == 1
        assert np.abs(chunk).max() <= 1.0
        assert np.sqrt(np.mean(chunk**2)) > 0.01
    duration = sum(c.size for c in chunks) / voice.sample_rate
    assert 1.0 < duration < 5.0


def test_speed_changes_the_duration() -> None:
    voice = OpenJTalkVoice()
    normal = voice.synthesize(TEXT)
    fast = voice.synthesize(TEXT, speed=2.0)
    assert fast.size < 0.7 * normal.size


def test_unknown_speaker_is_refused() -> None:
    with pytest.raises(UnknownSpeaker, match="its speakers are: mei"):
        OpenJTalkVoice().stream(TEXT, speaker="kumo")


@pytest.mark.parametrize(
    "text",
    [
        "今日はとても良い天気ですね！みんなで公園に行きましょう！",  # HTS overshoots full scale by ~1.2x
        "ええええええええええええええええええ！！！",  # its filter diverges for ~100 ms (peaks ~10^5x)
    ],
)
def test_loud_or_diverging_sentences_are_scaled_not_clipped(text: str) -> None:
    audio = OpenJTalkVoice().synthesize(text)
    assert np.abs(audio).max() <= 0.99
    assert np.count_nonzero(np.abs(audio) >= 0.985) < 10  # a clipped burst would be thousands
    assert np.sqrt(np.mean(audio**2)) > 0.02  # the speech itself is still there
