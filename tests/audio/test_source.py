"""SpeechSource played by discord.py's own AudioPlayer thread (with a fake voice client)."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
from discord.opus import OPUS_SILENCE
from discord.player import AudioPlayer

from tests.audio.helpers import sweep, uneven_chunks
from voicebot.audio import AudioError, LoudnessNormalizer, OpusStreamEncoder, SpeechSource
from voicebot.audio.resample import StreamResampler

RATE = 24_000


class FakeVoiceClient:
    """What AudioPlayer touches on a VoiceClient: records packets instead of sending them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.client = SimpleNamespace(loop=loop)
        self.ws = self
        self.sent: list[bytes] = []
        self.encoded: list[bool] = []

    async def speak(self, state: object) -> None:
        """The gateway's speaking indicator: nothing to do here."""

    def is_connected(self) -> bool:
        return True

    def send_audio_packet(self, data: bytes, *, encode: bool = True) -> None:
        self.sent.append(data)
        self.encoded.append(encode)


def _encoded(chunks: list[np.ndarray], loudness: LoudnessNormalizer | None = None) -> list[bytes]:
    """What the encoder makes of ``chunks`` all at once: the packets a listener must get."""
    encoder = OpusStreamEncoder()
    packets: list[bytes] = []
    for chunk in chunks:
        packets += encoder.encode(chunk if loudness is None else loudness.process(chunk, RATE), RATE)
    return packets + encoder.flush()


async def _play(source: SpeechSource) -> tuple[FakeVoiceClient, asyncio.Future[Exception | None]]:
    loop = asyncio.get_running_loop()
    client = FakeVoiceClient(loop)
    finished: asyncio.Future[Exception | None] = loop.create_future()
    player = AudioPlayer(
        source, client, after=lambda error: loop.call_soon_threadsafe(finished.set_result, error)
    )  # type: ignore[arg-type]
    player.start()
    return client, finished


def _spoken(client: FakeVoiceClient) -> list[bytes]:
    return [p for p in client.sent if p != OPUS_SILENCE]


async def test_player_plays_the_utterance_as_the_encoder_would_all_at_once() -> None:
    chunks = uneven_chunks(sweep(RATE, seconds=0.8), seed=2)
    source = SpeechSource(loudness=LoudnessNormalizer(-20.0), max_wait=1.0)
    source.put(chunks[0], RATE)
    client, finished = await _play(source)
    for chunk in chunks[1:]:  # synthesis delivers the rest while the first packets play
        await asyncio.sleep(0.01)
        source.put(chunk, RATE)
    source.end()

    assert await asyncio.wait_for(finished, 5) is None
    # Encoded frame by frame in the player thread, bit for bit what one encoder makes at once.
    expected = _encoded(chunks, LoudnessNormalizer(-20.0))
    assert client.sent[: len(expected)] == expected
    assert client.encoded == [False] * len(client.sent)  # is_opus(): discord.py encodes nothing
    assert source.read() == b""


async def test_short_stall_inserts_no_silence_mid_utterance() -> None:
    first, second = sweep(RATE, seconds=0.06), sweep(RATE, seconds=0.06)
    source = SpeechSource(max_wait=1.0)
    source.put(first, RATE)
    client, finished = await _play(source)
    await asyncio.sleep(0.15)  # synthesis late (7 packets' time), but within max_wait
    source.put(second, RATE)
    source.end()

    await asyncio.wait_for(finished, 3)
    expected = _encoded([first, second])
    assert client.sent[: len(expected)] == expected  # AudioPlayer sends silence of its own after


async def test_long_stall_plays_silence_frames_and_keeps_the_order() -> None:
    first, second = sweep(RATE, seconds=0.04), sweep(RATE, seconds=0.04)
    source = SpeechSource(max_wait=0.02)
    source.put(first, RATE)
    client, finished = await _play(source)
    await asyncio.sleep(0.3)
    source.put(second, RATE)
    source.end()

    await asyncio.wait_for(finished, 3)
    expected = _encoded([first, second])
    assert _spoken(client)[: len(expected)] == expected
    assert OPUS_SILENCE in client.sent[2 : client.sent.index(expected[2])]


async def test_stop_ends_playback_at_once_and_drops_the_rest() -> None:
    source = SpeechSource()
    source.put(sweep(RATE, seconds=4.0), RATE)
    client, finished = await _play(source)
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    source.stop()
    await asyncio.wait_for(finished, 1)

    assert time.perf_counter() - started < 0.5  # not the 3.9 s still queued
    assert 0 < len(_spoken(client)) < 50
    assert source.read() == b""


def test_stop_wakes_a_waiting_read() -> None:
    source = SpeechSource(max_wait=5.0)
    results: list[bytes] = []
    reader = threading.Thread(target=lambda: results.append(source.read()))
    reader.start()
    time.sleep(0.05)
    started = time.perf_counter()
    source.stop()
    reader.join(1)

    assert results == [b""]
    assert time.perf_counter() - started < 0.5


def test_end_lets_the_queue_play_out_then_reads_empty() -> None:
    chunk = sweep(RATE, seconds=0.05)
    source = SpeechSource()
    source.put(chunk, RATE)
    source.end()
    expected = _encoded([chunk])
    assert [source.read() for _ in expected] == expected
    assert source.read() == b""


def test_an_empty_utterance_reads_empty() -> None:
    source = SpeechSource()
    source.put(np.zeros(0, dtype=np.float32), RATE)
    source.end()
    assert source.read() == b""


def test_bad_audio_is_refused_when_put_not_in_the_player() -> None:
    source = SpeechSource()
    with pytest.raises(AudioError, match="1-D float"):
        source.put(np.zeros((2, 10), dtype=np.float32), RATE)
    with pytest.raises(AudioError, match="1-D float"):
        source.put(np.zeros(10, dtype=np.int16), RATE)


def test_put_after_end_is_an_error_and_after_stop_is_dropped() -> None:
    source = SpeechSource()
    source.end()
    with pytest.raises(AudioError, match="new SpeechSource"):
        source.put(sweep(RATE, seconds=0.05), RATE)

    skipped = SpeechSource()
    skipped.stop()
    skipped.put(sweep(RATE, seconds=0.05), RATE)
    assert skipped.read() == b""


def test_cleanup_drops_what_is_queued() -> None:
    source = SpeechSource()
    source.put(sweep(RATE, seconds=0.5), RATE)
    source.cleanup()
    assert source.read() == b""
    assert source.is_opus()


def test_rejects_negative_wait() -> None:
    with pytest.raises(AudioError, match="max_wait"):
        SpeechSource(max_wait=-1.0)


def test_the_first_packet_does_not_wait_for_the_whole_chunk_to_be_resampled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fed: list[int] = []
    process = StreamResampler.process

    def counting(self: StreamResampler, samples: np.ndarray) -> np.ndarray:
        fed.append(len(samples))
        return process(self, samples)

    monkeypatch.setattr(StreamResampler, "process", counting)
    long = sweep(RATE, seconds=2.0)
    source = SpeechSource(loudness=LoudnessNormalizer(-20.0))
    source.put(long, RATE)
    source.end()

    first = source.read()
    assert sum(fed) <= 0.1 * RATE  # a few frames' worth, not 2 s of audio
    rest = iter(source.read, b"")
    # and the whole utterance still plays, bit for bit as one encoder makes it at once
    assert [first, *rest] == _encoded([long], LoudnessNormalizer(-20.0))
