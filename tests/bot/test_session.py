"""Voice sessions with the real engine and encoder: the Opus that reaches Discord, queue, skip,
stop and auto-leave."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from discord.opus import OPUS_SILENCE

from tests.audio.helpers import decode
from tests.bot.fakes import FakeGuild, FakeMember, FakeVoiceChannel, FakeVoiceClient
from tests.bot.helpers import fake_connector
from voicebot.audio import LoudnessNormalizer
from voicebot.bot import Refusal, SessionManager, Utterance, VoiceSession
from voicebot.engine import AudioChunk, Engine

TWO_SENTENCES = "こんにちは、読み上げのテストです。二つめの文も、続けてすぐに読みます。"


class RecordingEngine:
    """The real engine, also keeping every chunk it hands out (a spy, not a fake)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.chunks: list[list[AudioChunk]] = []
        self.arrived: list[list[float]] = []  # time.monotonic() of each chunk

    def synthesize(self, text: str, **kwargs: Any) -> _RecordedStream:
        kept: list[AudioChunk] = []
        times: list[float] = []
        self.chunks.append(kept)
        self.arrived.append(times)
        return _RecordedStream(self.engine.synthesize(text, **kwargs), kept, times)


class _RecordedStream:
    def __init__(self, stream: Any, kept: list[AudioChunk], times: list[float]) -> None:
        self._stream = stream
        self._kept = kept
        self._times = times

    async def __aenter__(self) -> _RecordedStream:
        await self._stream.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stream.__aexit__(*exc)

    async def __aiter__(self) -> AsyncIterator[AudioChunk]:
        async for chunk in self._stream:
            self._kept.append(chunk)
            self._times.append(time.monotonic())
            yield chunk


def snr_db(reference: np.ndarray, decoded: np.ndarray) -> float:
    """SNR of ``decoded`` against ``reference`` after the best alignment (codec delay) and gain."""
    size = len(reference) + len(decoded)
    correlation = np.fft.irfft(np.fft.rfft(decoded, size) * np.conj(np.fft.rfft(reference, size)), size)
    lag = int(np.argmax(correlation[: len(decoded)]))
    part = decoded[lag : lag + len(reference)]
    part = np.pad(part, (0, len(reference) - len(part)))
    gain = np.dot(part, reference) / np.dot(part, part)
    return float(10 * np.log10(np.sum(reference**2) / np.sum((reference - gain * part) ** 2)))


def expected_audio(chunks: list[AudioChunk]) -> np.ndarray:
    loudness = LoudnessNormalizer()
    assert all(c.sample_rate == 48_000 for c in chunks)  # Open JTalk speaks at 48 kHz
    return np.concatenate([loudness.process(c.samples, c.sample_rate) for c in chunks]).astype(np.float64)


def _session(engine: Any, frame_delay: float = 0.005, **kwargs: Any) -> tuple[VoiceSession, FakeVoiceClient]:
    voice = FakeVoiceClient(FakeVoiceChannel(FakeGuild()), frame_delay)
    options = {"max_queue": 5, "idle_timeout": 60.0} | kwargs
    return VoiceSession(voice.channel.guild.id, voice, engine, **options), voice


async def _joined(engine: Engine) -> tuple[SessionManager, FakeGuild, VoiceSession]:
    """A session manager whose bot has joined a voice channel with one human in it."""
    manager = SessionManager(engine, max_queue=3, idle_timeout=60.0, connector=fake_connector)
    guild = FakeGuild()
    channel = FakeVoiceChannel(guild)
    FakeMember(guild, "ひと").join(channel)
    return manager, guild, await manager.join(channel)  # type: ignore[arg-type]


async def _wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_queued_utterances_reach_discord_as_opus_that_decodes_to_the_speech(engine: Engine) -> None:
    spy = RecordingEngine(engine)
    session, voice = _session(spy, frame_delay=0.02)  # real time, as discord.py's player reads
    session.enqueue(Utterance(TWO_SENTENCES))
    session.enqueue(Utterance("最後の文です。"))
    await _wait_for(lambda: len(voice.played) == 2 and not session.speaking and not session.pending)
    assert len(spy.chunks[0]) >= 2, "the first utterance should stream in several chunks"
    for packets, chunks in zip(voice.played, spy.chunks, strict=True):
        reference = expected_audio(chunks)
        assert OPUS_SILENCE not in packets, "no gap frames inside one utterance"
        assert len(packets) <= len(reference) // 960 + 3  # 20 ms frames, nothing inserted
        assert snr_db(reference, decode(packets)) >= 20.0
    await session.close()
    assert voice.disconnected


async def test_playback_starts_before_the_whole_utterance_is_synthesized(engine: Engine) -> None:
    spy = RecordingEngine(engine)
    session, voice = _session(spy)
    session.enqueue(Utterance(TWO_SENTENCES))
    await _wait_for(lambda: len(voice.played) == 1 and not session.speaking)
    first, second = spy.arrived[0][:2]
    assert first <= voice.started_at[0] < second, "play() starts right after the first chunk"
    await session.close()


async def test_a_message_to_an_idle_session_reaches_the_engine_as_it_is_queued(engine: Engine) -> None:
    spy = RecordingEngine(engine)
    session, voice = _session(spy)
    session.enqueue(Utterance("一つめの文章です。"))
    assert len(spy.chunks) == 1, "synthesis waited for the session's task to get a turn"
    session.enqueue(Utterance("二つめ。"))
    assert len(spy.chunks) == 1, "a message waiting behind another was synthesized ahead of its turn"
    await _wait_for(lambda: len(voice.played) == 2 and not session.speaking and not session.pending)
    assert len(spy.chunks) == 2
    await session.close()


async def test_skip_stops_the_current_utterance_and_plays_the_next(engine: Engine) -> None:
    session, voice = _session(engine)
    long_text = "これはとても長い文章なので、最後まで読み終わる前にスキップされます。" * 3
    session.enqueue(Utterance(long_text))
    session.enqueue(Utterance("次です。"))
    await _wait_for(lambda: len(voice.played) == 1 and len(voice.played[0]) > 5)
    assert session.skip()
    await _wait_for(lambda: len(voice.played) == 2 and not session.speaking)
    assert len(voice.played[0]) < 200  # the long one was cut short
    assert len(voice.played[1]) > 10  # the next one played in full
    await session.close()


async def test_stop_clears_the_queue(engine: Engine) -> None:
    session, voice = _session(engine)
    for text in ("一つめの文章です。", "二つめ。", "三つめ。"):
        session.enqueue(Utterance(text))
    await _wait_for(lambda: len(voice.played) == 1)
    assert session.stop() == 2
    await asyncio.sleep(0.3)
    assert len(voice.played) == 1
    assert not session.speaking and session.pending == 0
    await session.close()


async def test_queue_length_is_limited(engine: Engine) -> None:
    session, _ = _session(engine, max_queue=1)
    session.enqueue(Utterance("一つめの文章です。"))
    await _wait_for(lambda: session.speaking)
    session.enqueue(Utterance("二つめ。"))  # waits while the first plays
    with pytest.raises(Refusal, match="読み上げ待ちが1件"):
        session.enqueue(Utterance("三つめ。"))
    await session.close()


async def test_leaves_after_the_idle_timeout(engine: Engine) -> None:
    session, voice = _session(engine, idle_timeout=0.2)
    await asyncio.wait_for(session.wait_closed(), 5)
    assert voice.disconnected
    with pytest.raises(Refusal, match="停止中"):
        session.enqueue(Utterance("もう遅い。"))


async def test_leaves_when_no_humans_are_left(engine: Engine) -> None:
    manager = SessionManager(engine, max_queue=3, idle_timeout=60.0, connector=fake_connector)
    guild = FakeGuild()
    channel = FakeVoiceChannel(guild)
    human, other_bot = FakeMember(guild, "ひと"), FakeMember(guild, "ほかのボット", bot=True)
    human.join(channel)
    other_bot.join(channel)
    session = await manager.join(channel)  # type: ignore[arg-type]
    assert manager.get(guild.id) is session
    await manager.on_voice_state_update(other_bot)  # type: ignore[arg-type]
    assert not session.closed  # a human is still there
    human.join(None)
    await manager.on_voice_state_update(human)  # type: ignore[arg-type]
    assert session.closed and manager.get(guild.id) is None
    assert session.voice.disconnected  # type: ignore[attr-defined]
    await manager.close()


async def test_own_leave_during_a_voice_reconnect_keeps_the_session(engine: Engine) -> None:
    manager, guild, session = await _joined(engine)
    session.voice.recovering = True  # type: ignore[misc]
    await manager.on_voice_state_update(guild.me)  # type: ignore[arg-type]
    assert not session.closed
    session.voice.recovering = False  # type: ignore[misc]
    await manager.on_voice_state_update(guild.me)  # type: ignore[arg-type]
    assert session.closed
    await manager.close()


async def test_speech_during_a_voice_reconnect_plays_once_the_connection_is_back(engine: Engine) -> None:
    session, voice = _session(engine)
    voice.recovering = True
    session.enqueue(Utterance("つながったら読みます。"))
    await asyncio.sleep(0.5)
    assert not voice.played and not session.closed
    voice.recovering = False
    await _wait_for(lambda: len(voice.played) == 1 and not session.speaking)
    assert len(voice.played[0]) > 10
    await session.close()


async def test_shutdown_while_in_voice_leaves_once(engine: Engine) -> None:
    manager, guild, session = await _joined(engine)
    session.voice.leave_delay = 0.3  # type: ignore[attr-defined]
    shutdown = asyncio.create_task(manager.close(grace=1.0))
    await asyncio.sleep(0.1)  # the leave is in flight; Discord reports the bot out of voice
    await manager.on_voice_state_update(guild.me)  # type: ignore[arg-type]
    await asyncio.wait_for(shutdown, 2.0)
    assert session.closed and manager.get(guild.id) is None
    assert session.voice.disconnects == 1  # type: ignore[attr-defined]
