"""NeuralVoice speaks the tiny random-weight voice: streamed, finite, steerable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pytest
import torch

from voicebot.text import g2p, symbols_to_ids
from voicebot.voices import InvalidSpeed, NeuralVoice, UnknownSpeaker
from voicebot.voices.neural import FIRST_CHUNK_FRAMES, NOISE_SEED

T = TypeVar("T")
TEXT = "こんにちは。今日はいい天気ですね。"


@pytest.fixture(scope="module")
def voice(tiny_voice_file: Path) -> NeuralVoice:
    return NeuralVoice.load(tiny_voice_file)


def seeded(function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """``function(*args, **kwargs)`` with the same random noise every time."""
    torch.manual_seed(7)
    return function(*args, **kwargs)


def test_loaded_voice_describes_itself(voice: NeuralVoice) -> None:
    assert voice.name == "tiny"
    assert voice.display_name == "Tiny test voice"
    assert voice.speakers == ("alpha", "kumo")
    assert voice.sample_rate == 24000
    assert not voice.model.training


def test_stream_yields_finite_audible_chunks_equal_to_synthesize(voice: NeuralVoice) -> None:
    chunks = seeded(lambda: list(voice.stream(TEXT)))
    assert len(chunks) >= 2
    assert chunks[0].size <= FIRST_CHUNK_FRAMES * voice.model.config.hop_length
    for chunk in chunks:
        assert chunk.dtype == np.float32 and chunk.ndim == 1
        assert np.isfinite(chunk).all() and np.abs(chunk).max() <= 1.0
    audio = np.concatenate(chunks)
    assert np.sqrt(np.mean(audio**2)) > 1e-4
    np.testing.assert_array_equal(audio, seeded(voice.synthesize, TEXT))


def test_streamed_sentence_matches_whole_sentence_inference(voice: NeuralVoice) -> None:
    sentence = "今日はいい天気ですね。"
    streamed = np.concatenate(list(voice.stream(sentence, speaker="kumo")))
    ids = torch.tensor([symbols_to_ids(g2p(sentence))])
    generator = torch.Generator().manual_seed(NOISE_SEED)
    whole, lengths = voice.model.infer(
        ids, torch.tensor([ids.size(1)]), torch.tensor([1]), generator=generator
    )
    assert streamed.size == int(lengths[0])
    assert np.abs(streamed - whole[0].numpy()).max() < 1e-3


def test_interleaved_streams_give_the_same_audio_as_alone(voice: NeuralVoice) -> None:
    # A worker advances several requests chunk by chunk: each stream's noise is its own (these
    # two also start in one batch, hence equal up to float rounding).
    alone = np.concatenate(list(voice.stream(TEXT)))
    first, second = voice.stream(TEXT), voice.stream("別の文です。もう一つ。")
    torch.manual_seed(123)  # whatever the global generator holds
    interleaved = []
    for chunk in first:
        interleaved.append(chunk)
        next(second, None)
    np.testing.assert_allclose(np.concatenate(interleaved), alone, atol=1e-4)


def test_speakers_and_speed_change_the_audio(voice: NeuralVoice) -> None:
    text = "こんにちは。"
    alpha = seeded(voice.synthesize, text, speaker="alpha")
    kumo = seeded(voice.synthesize, text, speaker="kumo")
    assert alpha.shape != kumo.shape or not np.allclose(alpha, kumo)
    fast = seeded(voice.synthesize, text, speed=2.0)
    slow = seeded(voice.synthesize, text, speed=0.5)
    assert fast.size < 0.7 * slow.size
    assert seeded(voice.synthesize, text, speed=50.0).size == fast.size  # clamped to 2.0


def test_unknown_speaker_lists_the_speakers_before_any_work(voice: NeuralVoice) -> None:
    with pytest.raises(UnknownSpeaker, match="no speaker 'nobody'; its speakers are: alpha, kumo"):
        voice.stream(TEXT, speaker="nobody")


@pytest.mark.parametrize("speed", [0.0, -1.0, float("nan")])
def test_invalid_speed_is_refused(voice: NeuralVoice, speed: float) -> None:
    with pytest.raises(InvalidSpeed, match="positive number"):
        voice.stream(TEXT, speed=speed)


def test_nothing_to_say_gives_empty_audio(voice: NeuralVoice) -> None:
    audio = voice.synthesize("")
    assert audio.dtype == np.float32 and audio.size == 0


def test_streams_started_together_share_one_batch_and_sound_as_alone(voice: NeuralVoice) -> None:
    """A burst of messages starts in one batched pass (first audio sooner for all), yet each
    stream is what it would be alone, and a stream at another speed starts on its own."""
    texts = ["こんにちは。今日はいい天気ですね。", "おはよう", "また明日。", "ありがとう"]
    alone = [np.concatenate(list(voice.stream(t, speaker="kumo"))) for t in texts[:3]]
    passes: list[int] = []
    encoder = voice.model.text_encoder
    hook = encoder.register_forward_hook(lambda _m, args, _o: passes.append(args[0].size(0)))
    try:
        streams = [voice.stream(t, speaker="kumo") for t in texts[:3]]
        faster = voice.stream(texts[3], speaker="kumo", speed=1.5)
        firsts = [next(s) for s in streams]
        assert passes == [3]  # one pass for the three first sentences
        together = [np.concatenate([first, *rest]) for first, rest in zip(firsts, streams, strict=True)]
        assert passes == [3, 1]  # the first stream's second sentence goes on alone
        next(faster)
        assert passes == [3, 1, 1]
    finally:
        hook.remove()
    for got, expected in zip(together, alone, strict=True):
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-4)
