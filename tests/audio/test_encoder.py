"""OpusStreamEncoder: chunks in, 20 ms packets out, decoding back to the same audio."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.audio.helpers import aligned_snr, decode, packet_ms, sweep, uneven_chunks
from voicebot.audio import FRAME_SAMPLES, AudioError, OpusStreamEncoder


def _encode(encoder: OpusStreamEncoder, chunks: list[np.ndarray], rate: int) -> list[bytes]:
    packets: list[bytes] = []
    for chunk in chunks:
        packets += encoder.encode(chunk, rate)
    return packets + encoder.flush()


@pytest.mark.parametrize("rate", [24_000, 48_000])
def test_uneven_chunks_decode_back_to_the_input(rate: int) -> None:
    signal = sweep(rate)
    packets = _encode(OpusStreamEncoder(), uneven_chunks(signal), rate)

    assert all(packet_ms(p) == 20.0 for p in packets)
    # Every 20 ms of the input in one packet, plus the one that drains libopus's look-ahead:
    # a gap frame between chunks would add packets.
    assert len(packets) == math.ceil(len(signal) * 48_000 / rate / FRAME_SAMPLES) + 1
    assert aligned_snr(sweep(48_000).astype(np.float64), decode(packets)) >= 20.0


@pytest.mark.parametrize("rate", [24_000, 22_050])
def test_chunked_stream_is_bit_identical_to_one_piece(rate: int) -> None:
    signal = sweep(rate, seconds=0.8)
    whole = _encode(OpusStreamEncoder(), [signal], rate)
    chunked = _encode(OpusStreamEncoder(), uneven_chunks(signal, seed=3, largest=700), rate)
    assert chunked == whole


def test_speech_round_trip(speech: tuple[np.ndarray, int]) -> None:
    samples, rate = speech
    packets = _encode(OpusStreamEncoder(), uneven_chunks(samples, seed=1), rate)
    assert aligned_snr(samples.astype(np.float64), decode(packets)) >= 20.0


def test_rate_change_mid_utterance_joins_without_a_gap() -> None:
    encoder = OpusStreamEncoder()
    first, second = sweep(24_000, seconds=0.5), sweep(48_000, seconds=0.5)
    packets = encoder.encode(first, 24_000) + encoder.encode(second, 48_000) + encoder.flush()
    reference = np.concatenate([sweep(48_000, seconds=0.5), second]).astype(np.float64)
    assert len(packets) == math.ceil(len(reference) / FRAME_SAMPLES) + 1
    assert aligned_snr(reference, decode(packets)) >= 20.0


def test_encoder_starts_each_utterance_clean() -> None:
    encoder = OpusStreamEncoder()
    assert encoder.flush() == []
    first = _encode(encoder, [sweep(24_000, seconds=0.5)], 24_000)
    second = _encode(encoder, [sweep(24_000, seconds=0.5)], 24_000)
    assert first == second
    assert encoder.flush() == []


def test_short_utterance_is_padded_to_a_whole_frame() -> None:
    encoder = OpusStreamEncoder()
    assert encoder.encode(np.full(100, 0.1, dtype=np.float32), 48_000) == []
    packets = encoder.flush()
    assert len(packets) == 2
    assert all(packet_ms(p) == 20.0 for p in packets)


@pytest.mark.parametrize(
    "samples", [np.zeros((2, 100), dtype=np.float32), np.zeros(100, dtype=np.int16), np.float32(0.0)]
)
def test_rejects_what_is_not_mono_float(samples: np.ndarray) -> None:
    with pytest.raises(AudioError, match="1-D float"):
        OpusStreamEncoder().encode(samples, 24_000)


def test_rejects_bad_settings() -> None:
    with pytest.raises(AudioError, match="application"):
        OpusStreamEncoder(application="lowdelay")
    with pytest.raises(AudioError, match="bitrate"):
        OpusStreamEncoder(bitrate=1_000)
    with pytest.raises(AudioError, match="positive"):
        OpusStreamEncoder().encode(np.zeros(10, dtype=np.float32), 0)
