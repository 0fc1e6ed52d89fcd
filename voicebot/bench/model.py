"""``voicebot bench model``: parameters, RTF (1 and 2 threads, eager and compiled), first-chunk latency.

Weights are random: speed does not depend on training, and the alignment predictor starts at a
realistic speaking rate. Sentences go through the real frontend (``voicebot.text.g2p``), about
80 phonemes each.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from collections.abc import Callable

import torch

from voicebot.model import ET2Model, ModelConfig
from voicebot.text import SYMBOLS, g2p, symbols_to_ids

__all__ = ["SENTENCES", "run"]

SENTENCES: tuple[str, ...] = (
    "今日の配信はとても面白かったので、明日もまた必ず見に来ようと思います。",
    "明日の集合場所は駅前の広場で、時間は午後一時半にしましょう。",
    "このゲームは何時間遊んでも全然飽きないから、本当に不思議ですね。",
    "天気予報によると、週末は晴れて気温も少し上がるそうです。",
    "新しいアップデートでは、いくつかの便利な機能が追加されました。",
    "昨日は十キロも走ったので、今日は足が痛くて少し歩きにくいです。",
    "来週のイベントは中止になりましたので、詳しくはお知らせを確認してください。",
    "おはようございます、今日も一日元気に頑張っていきましょう。",
    "ボイスチャンネルに入れないときは、一度アプリを再起動してみてください。",
    "夕飯はラーメンにするか寿司にするか、みんなで相談して決めましょう。",
)
"""Ten chat-like sentences of about 80 phonemes each."""


def _build(args: argparse.Namespace) -> ET2Model:
    config = ModelConfig.small() if args.preset == "small" else ModelConfig.large()
    if args.head:
        config = config.model_copy(update={"head": args.head})
    if args.source:
        config = config.model_copy(update={"source": args.source})
    config = ModelConfig.model_validate(config.model_dump())  # refuse impossible combinations
    torch.manual_seed(0)
    return ET2Model(config, len(SYMBOLS), n_speakers=1).eval()


def _inputs() -> list[torch.Tensor]:
    return [torch.tensor([symbols_to_ids(g2p(text))]) for text in SENTENCES]


def _rtf(model: ET2Model, inputs: list[torch.Tensor], rounds: int) -> tuple[float, float, float, float]:
    """Best and median wall-clock RTF over rounds, best CPU-time RTF, seconds of audio per round.

    CPU time (all threads of this process) is what the synthesis costs even when other processes
    share the cores; with one thread it is the wall-clock RTF of an idle machine.
    """
    speaker = torch.zeros(1, dtype=torch.long)
    walls, cpus, seconds = [], [], 0.0
    for _ in range(rounds):
        wall, cpu, seconds = 0.0, 0.0, 0.0
        for ids in inputs:
            start, start_cpu = time.perf_counter(), time.process_time()
            _, lengths = model.infer(ids, torch.tensor([ids.size(1)]), speaker)
            wall += time.perf_counter() - start
            cpu += time.process_time() - start_cpu
            seconds += lengths.item() / model.config.sample_rate
        walls.append(wall / seconds)
        cpus.append(cpu / seconds)
    return min(walls), statistics.median(walls), min(cpus), seconds


def _streaming(model: ET2Model, inputs: list[torch.Tensor]) -> tuple[float, float, float]:
    """``infer_chunks`` with its default chunking: median and worst ms to the first chunk, and RTF."""
    speaker = torch.zeros(1, dtype=torch.long)
    firsts, elapsed, samples = [], 0.0, 0
    for ids in inputs:
        start = time.perf_counter()
        chunks = model.infer_chunks(ids, speaker)
        samples += next(chunks).numel()
        firsts.append((time.perf_counter() - start) * 1000)
        samples += sum(chunk.numel() for chunk in chunks)
        elapsed += time.perf_counter() - start
    return statistics.median(firsts), max(firsts), elapsed / (samples / model.config.sample_rate)


def _measure(label: str, model: ET2Model, inputs: list[torch.Tensor], args: argparse.Namespace) -> None:
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        _rtf(model, inputs[:2], 1)  # warm up (and compile, for the compiled model)
        best, median, cpu, seconds = _rtf(model, inputs, args.rounds)
        first, worst, streamed = _streaming(model, inputs)
        print(
            f"{label:8s} threads={threads}  RTF best {best:.4f} median {median:.4f}  CPU-time RTF {cpu:.4f}  "
            f"({seconds:.1f} s audio/round)\n{'':20s} infer_chunks: first chunk p50 {first:.1f} ms, "
            f"max {worst:.1f} ms, RTF {streamed:.4f}"
        )


def _timed(what: str, action: Callable[[], None]) -> None:
    start = time.perf_counter()
    action()
    print(f"{what}: {time.perf_counter() - start:.1f} s")


def run(args: argparse.Namespace) -> int:
    """Print the figures; return 0."""
    model = _build(args)
    inputs = _inputs()
    params = sum(p.numel() for p in model.parameters())
    phonemes = statistics.mean(ids.size(1) for ids in inputs)
    print(
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (other processes slow wall-clock)"
    )
    print(
        f"ET2 {args.preset} head={model.config.head} source={model.config.source}: "
        f"{params / 1e6:.2f} M inference parameters, "
        f"{len(inputs)} sentences of {phonemes:.0f} phonemes on average (voicebot.text.g2p), random weights"
    )
    threads = torch.get_num_threads()
    try:
        _measure("eager", model, inputs, args)
        if not args.no_compile:
            model.compile_synthesizer()
            _timed("compile (warm_up)", model.warm_up)
            _measure("compiled", model, inputs, args)
    finally:
        torch.set_num_threads(threads)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mib:.0f} MiB")
    return 0
