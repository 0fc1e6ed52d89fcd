"""OpusPacketSource played by discord.py's own AudioPlayer thread (with a fake voice client)."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace

import pytest
from discord.opus import OPUS_SILENCE
from discord.player import AudioPlayer

from voicebot.audio import AudioError, OpusPacketSource


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


def _packets(count: int, start: int = 0) -> list[bytes]:
    return [f"packet-{i}".encode() for i in range(start, start + count)]


async def _play(source: OpusPacketSource) -> tuple[FakeVoiceClient, asyncio.Future[Exception | None]]:
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


async def test_player_plays_every_packet_in_order_then_stops() -> None:
    source = OpusPacketSource()
    source.put(_packets(5))
    client, finished = await _play(source)
    for batch in range(1, 4):  # synthesis delivers the rest while the first packets play
        await asyncio.sleep(0.03)
        source.put(_packets(5, start=5 * batch))
    source.end()

    assert await asyncio.wait_for(finished, 3) is None
    assert _spoken(client) == _packets(20)
    assert client.encoded == [False] * len(client.sent)  # is_opus(): discord.py encodes nothing
    assert source.done


async def test_short_stall_inserts_no_silence_mid_utterance() -> None:
    source = OpusPacketSource(max_wait=1.0)
    source.put(_packets(3))
    client, finished = await _play(source)
    await asyncio.sleep(0.15)  # synthesis late (7 packets' time), but within max_wait
    source.put(_packets(3, start=3))
    source.end()

    await asyncio.wait_for(finished, 3)
    utterance = client.sent[:6]  # AudioPlayer sends silence frames of its own after the end
    assert utterance == _packets(6)


async def test_long_stall_plays_silence_frames_and_keeps_the_order() -> None:
    source = OpusPacketSource(max_wait=0.02)
    source.put(_packets(2))
    client, finished = await _play(source)
    await asyncio.sleep(0.3)
    source.put(_packets(2, start=2))
    source.end()

    await asyncio.wait_for(finished, 3)
    assert _spoken(client) == _packets(4)
    first_real_after_stall = client.sent.index(b"packet-2")
    assert OPUS_SILENCE in client.sent[2:first_real_after_stall]


async def test_stop_ends_playback_at_once_and_drops_the_rest() -> None:
    source = OpusPacketSource()
    source.put(_packets(200))  # 4 s of audio
    client, finished = await _play(source)
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    source.stop()
    await asyncio.wait_for(finished, 1)

    assert time.perf_counter() - started < 0.5  # not the 3.9 s still queued
    assert 0 < len(_spoken(client)) < 50
    assert source.read() == b""


def test_stop_wakes_a_waiting_read() -> None:
    source = OpusPacketSource(max_wait=5.0)
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
    source = OpusPacketSource()
    source.put(_packets(2))
    source.end()
    assert not source.done
    assert [source.read(), source.read(), source.read()] == [*_packets(2), b""]
    assert source.done


def test_put_after_end_is_an_error_and_after_stop_is_dropped() -> None:
    source = OpusPacketSource()
    source.end()
    with pytest.raises(AudioError, match="new OpusPacketSource"):
        source.put(_packets(1))

    skipped = OpusPacketSource()
    skipped.stop()
    skipped.put(_packets(1))
    assert skipped.read() == b""


def test_cleanup_releases_queued_packets() -> None:
    source = OpusPacketSource()
    source.put(_packets(10))
    source.cleanup()
    assert source.done
    assert source.read() == b""
    assert source.is_opus()


def test_rejects_negative_wait() -> None:
    with pytest.raises(AudioError, match="max_wait"):
        OpusPacketSource(max_wait=-1.0)
