"""Everything training changes, as one object that round-trips exactly through a checkpoint.

Model, discriminator, both optimizers, both schedulers, the global step and the RNG states
(python, numpy, torch, CUDA). bf16 autocast needs no GradScaler, so there is none to save.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import numpy as np
import torch
from torch import nn

from voicebot.model import ET2Model
from voicebot.training.config import RunConfig, TrainConfig
from voicebot.training.discriminators import Discriminator
from voicebot.training.errors import CheckpointError

__all__ = ["CHECKPOINT_FORMAT", "TrainState", "get_rng_state", "set_rng_state"]

CHECKPOINT_FORMAT = 2
"""2: the generator's optimizer has two parameter groups (the voice's weights, the fresh parts)."""

_log = logging.getLogger(__name__)


def get_rng_state() -> dict[str, Any]:
    """Python, numpy, torch and CUDA generator states, as checkpoint-safe types."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)  # type: ignore[misc]
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`get_rng_state` captured."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, gauss_np = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss_np))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _adamw(params: Any, cfg: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    # On CUDA the fused kernel does the whole update in fewer launches than the default multi-tensor one.
    return torch.optim.AdamW(
        params,
        lr=cfg.learning_rate,
        betas=cfg.adam_betas,
        eps=cfg.adam_eps,
        weight_decay=cfg.weight_decay,
        fused=device.type == "cuda",
    )


class TrainState:
    """Generator (``model``), ``discriminator``, their optimizers and schedulers, and ``step``."""

    def __init__(
        self,
        config: RunConfig,
        symbols: tuple[str, ...],
        symbol_table_version: int,
        speakers: tuple[str, ...],
        device: torch.device,
    ) -> None:
        cfg = config.train
        self.config = config
        self.symbols = symbols
        self.symbol_table_version = symbol_table_version
        self.speakers = speakers
        self.step = 0
        self.model = ET2Model(config.model, len(symbols), len(speakers), training=True).to(device)
        # Channels-last 2-D convolutions: the discriminators' forward + backward ran 14% faster on
        # two CPU cores (1.74 -> 1.49 s at batch 16, width 0.5).
        self.discriminator = Discriminator(cfg.mpd_periods, cfg.mrd_resolutions, cfg.discriminator_width).to(
            device, memory_format=torch.channels_last
        )
        self.device = device
        self.optim_d = _adamw(self.discriminator.parameters(), cfg, device)
        self.sched_d = torch.optim.lr_scheduler.ExponentialLR(self.optim_d, cfg.lr_decay)
        training_only = {id(p) for m in self.model.training_only_modules() for p in m.parameters()}
        self.mark_from_voice(
            tuple(name for name, p in self.model.named_parameters() if id(p) not in training_only)
        )

    def _learning_rates(self) -> list[float]:
        cfg = self.config.train
        return [cfg.learning_rate, cfg.fresh_learning_rate or cfg.learning_rate]

    def mark_from_voice(self, keys: tuple[str, ...]) -> None:
        """Name the generator tensors that came from a voice file (``--init-from``); by default all
        the weights a voice file holds. They form the optimizer's first group (``learning_rate``),
        the rest its second (``fresh_learning_rate``), and a warm-up without
        ``warmup_trains_voice`` leaves them alone. Rebuilds the generator's optimizer: call it
        before the first step."""
        named = dict(self.model.named_parameters())
        self.voice_keys = frozenset(keys) & set(named)
        voice_lr, fresh_lr = self._learning_rates()
        groups = [
            {"params": [p for n, p in named.items() if n in self.voice_keys], "lr": voice_lr},
            {"params": [p for n, p in named.items() if n not in self.voice_keys], "lr": fresh_lr},
        ]
        self.optim_g = _adamw(groups, self.config.train, self.device)
        self.sched_g = torch.optim.lr_scheduler.ExponentialLR(self.optim_g, self.config.train.lr_decay)

    def train_voice_weights(self, enabled: bool) -> None:
        """Let the optimizer update the weights that came from the voice, or only the fresh parts.

        Frozen weights get no gradient, so AdamW neither moves nor decays them.
        """
        for name, parameter in self.model.named_parameters():
            if name in self.voice_keys:
                parameter.requires_grad_(enabled)

    def modules(self) -> tuple[nn.Module, nn.Module]:
        """(generator, discriminator)."""
        return self.model, self.discriminator

    def state_dict(self, dataset: dict[str, Any]) -> dict[str, Any]:
        """The checkpoint: every state above plus what it was trained on (``dataset``)."""
        return {
            "format": CHECKPOINT_FORMAT,
            "step": self.step,
            "config": self.config.to_json(),
            "symbols": list(self.symbols),
            "symbol_table_version": self.symbol_table_version,
            "speakers": list(self.speakers),
            "dataset": dataset,
            "model": self.model.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "optim_g": self.optim_g.state_dict(),
            "optim_d": self.optim_d.state_dict(),
            "sched_g": self.sched_g.state_dict(),
            "sched_d": self.sched_d.state_dict(),
            "rng": get_rng_state(),
            "voice_keys": sorted(self.voice_keys),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a checkpoint exactly (strict: every tensor must fit)."""
        if state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(
                f"checkpoint format {state.get('format')} is from another voicebot (this one resumes "
                f"format {CHECKPOINT_FORMAT}): export it with that version and continue in a new --run "
                "folder with --init-from the voice file"
            )
        # The optimizer's groups follow which weights came from a voice: restore that first.
        self.mark_from_voice(tuple(state["voice_keys"]))
        try:
            self.model.load_state_dict(state["model"])
            self.discriminator.load_state_dict(state["discriminator"])
            self.optim_g.load_state_dict(state["optim_g"])
            self.optim_d.load_state_dict(state["optim_d"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise CheckpointError(
                f"checkpoint does not fit this model/discriminator config ({str(exc).splitlines()[0]}): "
                "continue with the run's own config or start a new --run folder"
            ) from None
        self.sched_g.load_state_dict(state["sched_g"])
        self.sched_d.load_state_dict(state["sched_d"])
        self._apply_optimizer_config()
        self.step = int(state["step"])
        set_rng_state(state["rng"])

    def _apply_optimizer_config(self) -> None:
        """Make the run's config win over the optimizer settings stored in a checkpoint.

        Without this, a ``learning_rate`` or ``lr_decay`` changed for a resumed run (the advice
        after a diverging run) would silently keep the old values. Unchanged values are left
        untouched, so a plain resume stays exact.
        """
        cfg = self.config.train
        for optimizer, scheduler, rates in (
            (self.optim_g, self.sched_g, self._learning_rates()),
            (self.optim_d, self.sched_d, [cfg.learning_rate]),
        ):
            if scheduler.base_lrs != rates or scheduler.gamma != cfg.lr_decay:
                _log.info(
                    "learning rate %s (decay %g) from the config replaces the checkpoint's %s (decay %g)",
                    rates,
                    cfg.lr_decay,
                    scheduler.base_lrs,
                    scheduler.gamma,
                )
                scheduler.base_lrs = list(rates)
                scheduler.gamma = cfg.lr_decay
                for group, rate in zip(optimizer.param_groups, rates, strict=True):
                    group["initial_lr"] = rate
                    group["lr"] = rate * cfg.lr_decay**scheduler.last_epoch
            for group in optimizer.param_groups:
                group.update(betas=tuple(cfg.adam_betas), eps=cfg.adam_eps, weight_decay=cfg.weight_decay)
