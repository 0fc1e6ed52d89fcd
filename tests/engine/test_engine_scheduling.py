"""Scheduling with one Open JTalk worker: cancellation, backpressure, fairness, shutdown, batching."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio

from tests.engine.conftest import FAST, audio, collect
from voicebot.config import load_settings
from voicebot.engine import Engine, EngineBusy, EngineTuning, SynthesisFailed
from voicebot.voices import OpenJTalkVoice

pytestmark = pytest.mark.asyncio(loop_scope="module")

SENTENCE = "きょうはいいてんきですね。"
LONG_TEXT = "これは長いメッセージのテストです。" * 30
QUEUE = 24


def _settings(root: Path, **overrides: object) -> object:
    return load_settings(
        models_dir=root / "models",
        data_dir=root / "data",
        workers=1,
        torch_threads=1,
        compile=False,
        **overrides,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def engine(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engine]:
    """One worker, Open JTalk only, a queue of 24, no admission control: these tests are about
    the queue, and what admission admits depends on the machine's speed (it has tests of its own,
    with a fake clock, in test_deadlines.py)."""
    settings = _settings(tmp_path_factory.mktemp("sched"), engine_queue=QUEUE, engine_utilization=0.0)
    engine = Engine(settings, FAST)
    await engine.start()
    yield engine
    await engine.close()


async def test_cancelling_frees_the_worker_at_once(engine: Engine) -> None:
    started = time.monotonic()
    stream = engine.synthesize(LONG_TEXT)  # 30 sentences, one chunk each
    await anext(stream)
    one_sentence = time.monotonic() - started
    await stream.aclose()
    started = time.monotonic()
    first = await anext(engine.synthesize(SENTENCE))
    assert first.samples.size
    waited = time.monotonic() - started
    assert waited < 5 * one_sentence + 0.5, f"waited {waited:.2f} s: the cancelled request kept the worker"


async def test_a_dropped_stream_is_cancelled(engine: Engine) -> None:
    stream = engine.synthesize(LONG_TEXT + "!")
    await anext(stream)
    del stream
    deadline = time.monotonic() + 5
    while engine.workers()[0].in_flight and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert engine.workers()[0].in_flight == 0


async def test_full_queue_gives_engine_busy_at_once(engine: Engine) -> None:
    # Two requests per guild run in the worker, the rest wait in the queue of 24.
    streams = []
    with pytest.raises(EngineBusy, match="try again"):
        for i in range(QUEUE + 8 + 1):
            started = time.monotonic()
            streams.append(engine.synthesize(f"{LONG_TEXT}{i}", guild_id=i % 4))  # long: not cached
    assert time.monotonic() - started < 0.1
    for stream in streams:
        await stream.aclose()
    assert (await collect(engine.synthesize(SENTENCE)))[0].samples.size


async def test_a_busy_guild_does_not_starve_another(engine: Engine) -> None:
    finished: list[str] = []

    async def read(tag: str, text: str, guild: int) -> None:
        await collect(engine.synthesize(text, guild_id=guild))
        finished.append(tag)

    tasks = [asyncio.create_task(read(f"A{i}", f"{SENTENCE}{i}", guild=1)) for i in range(20)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(read("B", SENTENCE, guild=2)))
    await asyncio.gather(*tasks)
    assert finished.index("B") <= 2, finished
    # A guild's requests interleave chunk by chunk in the worker (its session plays them in order).
    assert sorted(tag for tag in finished if tag != "B") == sorted(f"A{i}" for i in range(20))


async def test_phrase_cache_gives_the_same_audio(engine: Engine) -> None:
    first = await collect(engine.synthesize("ようこそ"))
    second = await collect(engine.synthesize("ようこそ"))
    assert len(second) == 1
    np.testing.assert_array_equal(audio(first), audio(second))


async def test_close_finishes_or_cancels_within_the_grace_period(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tuning = EngineTuning(heartbeat_interval=0.2, grace_period=0.5)
    engine = Engine(_settings(tmp_path), tuning)
    with caplog.at_level("WARNING", logger="voicebot.engine"):
        await engine.start()
    # With no neural voice at all, the operator is told how to get one.
    assert "no neural voice in" in caplog.text and "/model upload" in caplog.text
    short = asyncio.create_task(collect(engine.synthesize(SENTENCE)))
    long = asyncio.create_task(collect(engine.synthesize(LONG_TEXT * 3)))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await engine.close()
    assert time.monotonic() - started < 8
    assert (await short)[0].samples.size
    with pytest.raises(SynthesisFailed, match="shutting down"):
        await long
    with pytest.raises(EngineBusy):
        engine.synthesize(SENTENCE)
    assert all(not worker.alive for worker in engine.workers())


async def test_batching_worker_serves_concurrent_requests(tmp_path: Path) -> None:
    # Six requests at once on one worker: admission (tested in test_deadlines.py) stays out of it.
    tuning = EngineTuning(heartbeat_interval=0.2, batch_on_cpu=True, max_batch=4)
    async with Engine(_settings(tmp_path, phrase_cache_mb=0, engine_utilization=0.0), tuning) as engine:
        texts = [f"{SENTENCE}これは{i}番目です。" for i in range(6)]
        results = await asyncio.gather(
            *(collect(engine.synthesize(t, guild_id=i)) for i, t in enumerate(texts))
        )
    voice = OpenJTalkVoice()
    for text, chunks in zip(texts, results, strict=True):
        assert len(chunks) == 2  # one chunk per sentence
        np.testing.assert_array_equal(audio(chunks), voice.synthesize(text))


async def test_a_hung_worker_is_detected_by_heartbeat_and_replaced(tmp_path: Path) -> None:
    tuning = EngineTuning(heartbeat_interval=0.1, heartbeat_timeout=1.0)
    async with Engine(_settings(tmp_path, phrase_cache_mb=0), tuning) as engine:
        (worker,) = engine.workers()
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGSTOP)  # alive but silent: only heartbeats can tell
        chunks = await collect(engine.synthesize(SENTENCE, timeout=60))
        assert audio(chunks).size
        (replacement,) = engine.workers()
        assert replacement.restarts == 1
        assert replacement.pid != worker.pid
