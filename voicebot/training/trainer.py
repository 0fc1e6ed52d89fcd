"""The training loop: ``voicebot train`` runs :func:`train`.

Rerunning the same command resumes from the newest checkpoint exactly where it stopped.
SIGINT, SIGTERM and ``time_limit_minutes`` each end the loop after the current step with a
checkpoint, so a leased GPU window or a Ctrl-C never loses more than one step.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from voicebot.model import SpectrogramFeatures
from voicebot.text import SYMBOL_TABLE_VERSION, SYMBOLS
from voicebot.training.checkpoint import checkpoint_path, load_latest, prune, save_checkpoint
from voicebot.training.dataset import Batch, SpeechDataset, collate
from voicebot.training.errors import DataError, TrainingError
from voicebot.training.evaluate import alignment_image, evaluate, pick_eval_utterances
from voicebot.training.finetune import init_from_voice
from voicebot.training.manifest import DatasetInfo, read_info, read_manifest
from voicebot.training.runfolder import resolve_config, save_config
from voicebot.training.sampler import StepBatchSampler
from voicebot.training.state import TrainState
from voicebot.training.step import train_step
from voicebot.training.stopping import StopRequest, ignore_stop_signals
from voicebot.voices import read_voice_file

__all__ = ["TrainOptions", "TrainResult", "select_device", "train"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    """What ``voicebot train`` was asked to do; None means "from the config"."""

    data: Path
    run: Path
    config: Path | None = None
    init_from: Path | None = None
    device: str = "auto"
    steps: int | None = None
    batch_size: int | None = None
    num_workers: int | None = None
    time_limit_minutes: float | None = None
    progress: bool = True


@dataclass(frozen=True)
class TrainResult:
    """How a training invocation ended."""

    step: int
    stopped: str  # "done", "SIGINT", "SIGTERM" or "time limit"
    checkpoint: Path | None
    seconds_per_step: float | None


def select_device(name: str) -> torch.device:
    """``auto`` picks CUDA when visible; ``cuda`` without a GPU is a :class:`TrainingError`."""
    if name not in ("auto", "cpu", "cuda"):
        raise TrainingError(f"--device must be auto, cpu or cuda (got {name!r})")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError(
            "--device cuda but torch sees no GPU: use --device cpu, or install a CUDA build of torch"
        )
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _dataset_summary(data: Path, info: DatasetInfo) -> dict[str, Any]:
    return {
        "path": str(data.resolve()),
        "speakers": list(info.speakers),
        "counts": info.counts,
        "total_seconds": info.total_seconds,
        "sources": info.sources,
        "pitch": info.pitch,
    }


def _pitch_means(data: Path, info: DatasetInfo, hop_length: int) -> dict[str, float]:
    """Each speaker's mean log-F0, checking that the dataset has pitch at the model's hop."""
    missing = [s for s in info.speakers if s not in info.pitch]
    if not info.pitch:
        what = "no pitch"
    elif missing:
        what = f"no pitch for {', '.join(missing)}"
    elif info.hop_length != hop_length:
        what = f"pitch at hop {info.hop_length}, the model's hop is {hop_length}"
    else:
        return {speaker: stats[0] for speaker, stats in info.pitch.items()}
    raise DataError(
        f"{data} has {what}, and this model's harmonic source learns from it: run "
        f"`voicebot data prepare --hop-length {hop_length}` again on the same sources and {data} "
        "(the audio is kept)"
    )


def _native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes in bfloat16 natively (emulated bf16 is slower than float32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def _autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager[object]:
    if enabled and _native_bf16(device):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


class _Rate:
    """Steps per second between successive log writes."""

    def __init__(self, step: int) -> None:
        self.started = self.last_time = time.perf_counter()
        self.last_step = step

    def tick(self, step: int) -> float:
        now = time.perf_counter()
        rate = (step - self.last_step) / max(now - self.last_time, 1e-9)
        self.last_time, self.last_step = now, step
        return rate

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


class _Trainer:
    """One invocation of the loop: state, data and TensorBoard writer for its lifetime."""

    def __init__(self, opts: TrainOptions) -> None:
        self.opts = opts
        self.device = select_device(opts.device)
        if not opts.data.is_dir():
            raise DataError(f"data folder {opts.data} does not exist: run `voicebot data prepare` first")
        info = read_info(opts.data / "dataset.json")
        self.info = info
        self.dataset_summary = _dataset_summary(opts.data, info)
        checkpoint = load_latest(opts.run)
        voice = read_voice_file(opts.init_from) if opts.init_from and checkpoint is None else None
        overrides = {"max_steps": opts.steps, "batch_size": opts.batch_size, "num_workers": opts.num_workers}
        self.config = resolve_config(opts.run, opts.config, voice[1].config if voice else None, overrides)
        rate = self.config.model.sample_rate
        if rate != info.sample_rate:
            raise TrainingError(
                f"{opts.data} is {info.sample_rate} Hz but the model runs at {rate} Hz: "
                f"re-run `voicebot data prepare --sample-rate {rate}`"
            )
        speakers = tuple(info.speakers)
        if checkpoint and tuple(checkpoint["speakers"]) != speakers:
            raise TrainingError(
                f"run {opts.run} trains speakers {checkpoint['speakers']}, {opts.data} has {list(speakers)}: "
                "use a new --run folder (export this run and pass --init-from to fine-tune it)"
            )
        symbols = tuple(checkpoint["symbols"]) if checkpoint else SYMBOLS
        table_version = int(checkpoint["symbol_table_version"]) if checkpoint else SYMBOL_TABLE_VERSION
        _seed_everything(self.config.train.seed)
        self.state = TrainState(self.config, symbols, table_version, speakers, self.device)
        if checkpoint:
            self.state.load_state_dict(checkpoint)
            _log.info("resuming %s at step %d", opts.run, self.state.step)
            if opts.init_from:
                _log.warning("--init-from ignored: %s already has checkpoints", opts.run)
        elif voice and opts.init_from:
            summary = init_from_voice(self.state.model, *voice, symbols, speakers, opts.init_from)
            self.state.mark_from_voice(summary.copied)
            for line in summary.lines():
                _log.info("init-from %s: %s", opts.init_from.name, line)
        self.pitch_means = None
        if self.state.model.has_source:
            self.pitch_means = _pitch_means(opts.data, info, self.config.model.hop_length)
            stats = torch.tensor([info.pitch[s] for s in speakers], dtype=torch.float32)
            self.state.model.set_pitch_stats(stats)
        save_config(opts.run, self.config)
        self._load_data()

    def _load_data(self) -> None:
        data, hop = self.opts.data, self.config.model.hop_length
        train_utts = read_manifest(data / "train.tsv")
        val_utts = read_manifest(data / "val.tsv")
        if not train_utts:
            raise DataError(f"{data / 'train.tsv'} is empty: prepare more data")
        features = SpectrogramFeatures(self.config.model)
        args = (self.state.symbols, self.state.speakers, features, hop, self.pitch_means)
        self.train_set = SpeechDataset(data, train_utts, *args)
        val_set = SpeechDataset(data, val_utts, *args)
        picks = pick_eval_utterances(val_utts, self.config.train.eval_samples)
        self.eval_batch = collate([val_set[i] for i in picks]).to(self.device) if picks else None
        self.features = SpectrogramFeatures(self.config.model).to(self.device)

    def _loader(self) -> DataLoader[Batch]:
        cfg = self.config.train
        sampler = StepBatchSampler(
            self.train_set.lengths(),
            cfg.batch_size,
            cfg.seed,
            self.state.step,
            cfg.max_steps,
            cfg.bucket_batches,
        )
        return DataLoader(
            self.train_set,
            batch_sampler=sampler,
            collate_fn=collate,
            num_workers=cfg.num_workers,
            worker_init_fn=ignore_stop_signals,
            pin_memory=self.device.type == "cuda",
            # Its own generator: creating the loader must not draw from the global torch RNG.
            generator=torch.Generator().manual_seed(cfg.seed + self.state.step),
        )

    def _save(self) -> Path:
        path = checkpoint_path(self.opts.run, self.state.step)
        if not path.exists():
            save_checkpoint(path, self.state.state_dict(self.dataset_summary))
            prune(self.opts.run, self.config.train.keep_last)
        return path

    def _evaluate(self, writer: SummaryWriter) -> None:
        if self.eval_batch is None:
            return
        result = evaluate(self.state, self.eval_batch, self.features)
        step = self.state.step
        for name, value in result.scalars.items():
            writer.add_scalar(name, value, step)
        for i, clip in enumerate(result.clips):
            writer.add_audio(f"sample/{i}", clip.clamp(-1, 1), step, self.config.model.sample_rate)
        for i, attention in enumerate(result.alignments):
            writer.add_image(f"alignment/{i}", alignment_image(attention), step)

    def _after_step(self, scalars: dict[str, float], writer: SummaryWriter, rate: _Rate) -> None:
        cfg, step = self.config.train, self.state.step
        if step % cfg.log_interval == 0:
            scalars = {
                **scalars,
                "perf/steps_per_second": rate.tick(step),
                "lr": self.state.sched_g.get_last_lr()[0],
            }
            for name, value in scalars.items():
                writer.add_scalar(name, value, step)
        if step % cfg.eval_interval == 0:
            self._evaluate(writer)
        if step % cfg.checkpoint_interval == 0:
            self._save()

    def run(self) -> TrainResult:
        cfg, run = self.config.train, self.opts.run
        if self.state.step >= cfg.max_steps:
            _log.info("%s is at step %d, target %d: nothing to do", run, self.state.step, cfg.max_steps)
            return TrainResult(self.state.step, "done", None, None)
        limit = self.opts.time_limit_minutes * 60 if self.opts.time_limit_minutes else None
        autocast = _autocast(self.device, cfg.mixed_precision)
        bf16 = not isinstance(autocast, contextlib.nullcontext)
        _log.info("precision: %s", "bf16 autocast" if bf16 else "float32")
        rate = _Rate(self.state.step)
        first_step, stopped = self.state.step, "done"
        writer = SummaryWriter(str(run / "logs"), purge_step=self.state.step)
        bar = tqdm(total=cfg.max_steps, initial=self.state.step, unit="step", disable=not self.opts.progress)
        try:
            with StopRequest(limit) as stop:
                for batch in self._loader():
                    scalars = train_step(self.state, batch.to(self.device), self.features, autocast)
                    bar.update(1)
                    bar.set_postfix(g=f"{scalars['loss/g_total']:.2f}", mel=f"{scalars['loss/mel']:.3f}")
                    self._after_step(scalars, writer, rate)
                    if stop.check():
                        stopped = stop.reason or stopped
                        break
                path = self._save()
        finally:
            bar.close()
            writer.close()
        steps = self.state.step - first_step
        per_step = rate.elapsed() / steps if steps else None
        _log.info("stopped at step %d (%s); checkpoint %s", self.state.step, stopped, path)
        return TrainResult(self.state.step, stopped, path, per_step)


def train(opts: TrainOptions) -> TrainResult:
    """Train (or resume) ``opts.run`` on ``opts.data``; see the module docstring."""
    return _Trainer(opts).run()
