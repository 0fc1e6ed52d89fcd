"""``voicebot bench engine``: first-chunk latency, underruns, throughput and memory of the engine.

Requests go through :class:`~voicebot.engine.Engine` exactly as the bot sends them (worker
processes, queue, streaming), ``--requests`` at each concurrency, with and without
``torch.compile``; each client is its own guild and sends its next message when the last one
is synthesized. An underrun is a chunk that arrives after the audio before it would have
finished playing, counting from the first chunk's arrival (playback then resumes when it
arrives). A request the engine refuses at once (``EngineBusy``) is counted and its client
tries again 50 ms later. Without a trained default voice the bench writes a random-weight
voice of the default model config: speed does not depend on training.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from voicebot.bench import percentile
from voicebot.cli.common import init
from voicebot.config import Settings
from voicebot.engine import Engine, EngineBusy, EngineTuning, UnknownVoice, WorkerInfo
from voicebot.engine.deadlines import playback_gaps
from voicebot.errors import ConfigError

__all__ = ["MESSAGE", "run"]

MESSAGE = "今日はいい天気なので、みんなで散歩に行く"
"""A 20-character chat message."""

_BENCH_VOICE = "bench"


_RETRY_AFTER_S = 0.05


@dataclass(frozen=True)
class _Request:
    first_s: float
    total_s: float
    audio_s: float
    underruns: list[float]


@dataclass(frozen=True)
class _Result:
    concurrency: int
    requests: list[_Request]
    refused: int
    wall_seconds: float
    workers: list[WorkerInfo]


def _voice_file(settings: Settings, choice: str | None, folder: Path) -> tuple[Path, str]:
    """The voice file to bench and how it was chosen."""
    if choice is not None and choice.endswith(".safetensors"):
        return Path(choice), f"file {choice}"
    name = choice or settings.default_voice
    path = settings.models_dir / f"{name}.safetensors"
    if path.is_file():
        return path, f"voice {name!r} from {settings.models_dir}"
    if choice is not None:
        raise UnknownVoice(f"no voice file {path}: give a name from the models folder or a path")
    return _random_voice(
        folder / "random.safetensors"
    ), "random weights, default config (no trained voice yet)"


def _random_voice(path: Path) -> Path:
    import torch

    from voicebot.model import ET2Model, ModelConfig
    from voicebot.text import SYMBOL_TABLE_VERSION, SYMBOLS
    from voicebot.voices import VoiceMeta, write_voice_file

    config = ModelConfig.small()
    torch.manual_seed(0)
    model = ET2Model(config, len(SYMBOLS), 1, training=False)
    meta = VoiceMeta(
        display_name="random weights (bench)",
        config=config,
        symbols=SYMBOLS,
        symbol_table_version=SYMBOL_TABLE_VERSION,
        speakers=("bench",),
        default_speaker="bench",
        license="CC0-1.0",
        provenance="random weights written by voicebot bench engine",
    )
    write_voice_file(path, model.state_dict(), meta)
    return path


async def _one(engine: Engine, index: int) -> _Request:
    """Time one request, chunk by chunk."""
    started = time.perf_counter()
    arrivals: list[float] = []
    durations: list[float] = []
    async for chunk in engine.synthesize(MESSAGE, voice=_BENCH_VOICE, guild_id=index, timeout=600):
        arrivals.append(time.perf_counter() - started)
        durations.append(chunk.samples.size / chunk.sample_rate)
    total = time.perf_counter() - started
    first = arrivals[0] if arrivals else total
    return _Request(first, total, sum(durations), playback_gaps(arrivals, durations))


async def _level(engine: Engine, concurrency: int, requests: int) -> _Result:
    counter = iter(range(requests))
    measured: list[_Request] = []
    refused = 0

    async def client() -> None:
        nonlocal refused
        for index in counter:
            while True:
                try:
                    measured.append(await _one(engine, index))
                    break
                except EngineBusy:
                    refused += 1
                    await asyncio.sleep(_RETRY_AFTER_S)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return _Result(concurrency, measured, refused, time.perf_counter() - started, engine.workers())


async def _bench(settings: Settings, levels: list[int], requests: int) -> list[_Result]:
    tuning = EngineTuning(stall_timeout=600.0, heartbeat_timeout=120.0)
    async with Engine(settings, tuning) as engine:
        await _level(engine, max(levels), max(levels) * 2)  # warm-up: first calls, allocator, caches
        return [await _level(engine, level, max(requests, level)) for level in levels]


def _print(results: list[_Result], compiled: bool, engine: str) -> None:
    print(f"\nengine={engine} compile={'on' if compiled else 'off'}")
    print(
        f"{'conc':>5} {'first p50':>10} {'p95':>7} {'p99':>7} {'underruns':>10} {'gap total':>10} "
        f"{'refused':>8} {'RTF':>6} {'audio s/s':>10}  RSS per worker"
    )
    for r in results:
        firsts = [q.first_s * 1000 for q in r.requests]
        gaps = [gap for q in r.requests for gap in q.underruns]
        rtf = statistics.mean(q.total_s / q.audio_s for q in r.requests if q.audio_s > 0)
        audio = sum(q.audio_s for q in r.requests)
        sizes = [f"{w.rss_bytes / 2**20:.0f} MiB" for w in r.workers if w.rss_bytes]
        rss = ", ".join(sizes) or "(in the cluster)"
        print(
            f"{r.concurrency:>5} {statistics.median(firsts):>8.0f}ms {percentile(firsts, 0.95):>5.0f}ms "
            f"{percentile(firsts, 0.99):>5.0f}ms {len(gaps):>10} {sum(gaps) * 1000:>8.0f}ms "
            f"{r.refused:>8} {rtf:>6.3f} {audio / r.wall_seconds:>10.1f}  {rss}"
        )


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print one table per compile mode."""
    settings = init(args.verbose)
    levels = sorted({int(level) for level in args.concurrency.split(",") if level.strip()})
    modes = {"both": [False, True], "on": [True], "off": [False]}[args.compile]
    engines = [name.strip() for name in args.engine.split(",") if name.strip()]
    if not engines or any(name not in ("local", "ray") for name in engines):
        raise ConfigError(f"--engine takes local, ray or both separated by a comma, not {args.engine!r}")
    with tempfile.TemporaryDirectory(prefix="voicebot-bench-") as tmp:
        folder = Path(tmp)
        (folder / "models").mkdir()
        source, described = _voice_file(settings, args.voice, folder)
        shutil.copyfile(source, folder / "models" / f"{_BENCH_VOICE}.safetensors")
        print(
            f"engine bench: {described}; {settings.workers} worker(s), torch threads "
            f"{settings.torch_threads or 'auto'}, {args.requests} requests per level, message {MESSAGE!r}"
        )
        if "ray" in engines:
            replicas = f"{settings.ray_min_replicas}-{settings.ray_max_replicas}"
            size = f"{settings.ray_replica_cpus:g} CPU, {settings.ray_replica_gpus:g} GPU"
            print(f"ray: cluster {settings.ray_address}, {replicas} replica(s) of {size}")
        for engine in engines:
            for compiled in modes:
                bench_settings = settings.model_copy(
                    update={
                        "engine": engine,
                        "models_dir": folder / "models",
                        "data_dir": folder / "data",  # a scratch compile cache: first starts compile
                        "compile": compiled,
                        "phrase_cache_mb": 0,
                        "engine_queue": max(levels) * 4,
                    }
                )
                _print(asyncio.run(_bench(bench_settings, levels, args.requests)), compiled, engine)
    return 0
