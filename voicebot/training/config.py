"""Training configuration: a TOML file with a ``[model]`` and a ``[train]`` table.

``[model]`` holds :class:`voicebot.model.ModelConfig` fields, or ``preset = "small"`` (or
``"large"``) plus overrides. ``[train]`` holds :class:`TrainConfig`. Unknown or mistyped keys
are rejected with one :class:`~voicebot.errors.ConfigError` line naming the key and the file.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voicebot.errors import ConfigError
from voicebot.model import ModelConfig

__all__ = [
    "CONFIGS_DIR",
    "DEFAULT_CONFIG",
    "RunConfig",
    "TrainConfig",
    "explicit_model_keys",
    "load_config",
    "parse_config",
]

CONFIGS_DIR = Path(__file__).with_name("configs")
DEFAULT_CONFIG = CONFIGS_DIR / "small.toml"

_PRESETS = {"small": ModelConfig.small, "large": ModelConfig.large}


class TrainConfig(BaseModel):
    """Everything about how to train (the ``[train]`` table); the model itself is ``[model]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(1234, description="Seeds weights, data order and noise; the same seed repeats a run.")
    max_steps: int = Field(200_000, ge=1, description="Train until this global step (--steps overrides).")
    batch_size: int = Field(16, ge=1, description="Utterances per step; may change on resume.")
    num_workers: int = Field(
        2, ge=0, description="DataLoader worker processes (0: load in the main process)."
    )
    bucket_batches: int = Field(
        8, ge=1, description="A length bucket holds this many batches of similar-length utterances."
    )
    segment_frames: int = Field(
        32, ge=4, description="Frames of the random slice the decoder renders per utterance and step."
    )
    learning_rate: float = Field(
        2e-4, gt=0, description="AdamW learning rate of generator and discriminator."
    )
    fresh_learning_rate: float | None = Field(
        None,
        gt=0,
        description="Learning rate of the generator's parts that a fine-tune starts fresh (those not "
        "taken from the --init-from voice, and the training-only ones); None: learning_rate. A gentle "
        "learning_rate keeps a voice, but parts learning from scratch need a from-scratch rate.",
    )
    adam_betas: tuple[float, float] = Field((0.8, 0.99), description="AdamW betas (GAN-friendly b1=0.8).")
    adam_eps: float = Field(1e-9, gt=0, description="AdamW epsilon.")
    weight_decay: float = Field(0.01, ge=0, description="AdamW decoupled weight decay.")
    lr_decay: float = Field(
        0.99999,
        gt=0,
        le=1,
        description="Learning rate is multiplied by this every step (0.99999: half at ~69k).",
    )
    grad_clip: float = Field(50.0, gt=0, description="Gradient norm clip of both networks (spikes only).")
    mixed_precision: bool = Field(
        True,
        description="bf16 autocast where the device computes in bf16 natively: CUDA, and CPUs with "
        "AVX512-BF16 or AMX (a CPU step at batch 8 took 1.7 s instead of 3.6 s on two Zen 4 cores); "
        "float32 elsewhere.",
    )
    mel_weight: float = Field(45.0, ge=0, description="Weight of the mel-spectrogram L1 loss.")
    feature_weight: float = Field(2.0, ge=0, description="Weight of the discriminator feature-matching loss.")
    adversarial_weight: float = Field(1.0, ge=0, description="Weight of the generator's LSGAN loss.")
    adversarial_start: int = Field(
        0,
        ge=0,
        description="Steps of mel-only warm-up before the discriminators train and the adversarial and "
        "feature losses count (a warm-up step costs a third of a full one on CPU; 0: from the start).",
    )
    discriminator_warmup: int = Field(
        0,
        ge=0,
        description="Steps after adversarial_start in which only the discriminators play the adversarial "
        "game: the generator keeps to its mel-only losses (and to warmup_trains_voice), so the fresh "
        "discriminators of a fine-tune have learnt something of the voice before their verdicts reach it.",
    )
    warmup_trains_voice: bool = Field(
        True,
        description="Whether the mel-only warm-up also trains the weights a voice file holds. False "
        "suits a fine-tune (--init-from): during the warm-up only the parts --init-from starts fresh "
        "(aligner, posterior encoder) learn, against the voice's decoder as it is, instead of the "
        "adversarially trained decoder being pulled back towards mel-only blur by their early noise.",
    )
    model_loss_weights: dict[str, float] = Field(
        default_factory=dict,
        description="Weights of the model's own losses (TrainOutput.losses) by name; unlisted ones weigh 1.",
    )
    mpd_periods: tuple[int, ...] = Field((2, 3, 5, 7, 11), min_length=1, description="Multi-period periods.")
    mrd_resolutions: tuple[tuple[int, int, int], ...] = Field(
        ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240)),
        min_length=1,
        description="Multi-resolution discriminator STFTs as (n_fft, hop, window).",
    )
    discriminator_width: float = Field(
        1.0, gt=0, le=4, description="Channel multiplier of both discriminators (0.5 halves their cost)."
    )
    log_interval: int = Field(50, ge=1, description="Steps between TensorBoard scalar writes.")
    eval_interval: int = Field(1000, ge=1, description="Steps between validation loss and audio samples.")
    eval_samples: int = Field(4, ge=0, description="Fixed validation utterances rendered to TensorBoard.")
    checkpoint_interval: int = Field(1000, ge=1, description="Steps between checkpoints.")
    keep_last: int = Field(3, ge=1, description="Checkpoints kept in the run folder (older ones deleted).")


class RunConfig(BaseModel):
    """A resolved configuration: the model to build and how to train it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: ModelConfig
    train: TrainConfig = Field(default_factory=TrainConfig)

    def to_json(self) -> str:
        """The config as JSON (what is saved into a run folder and a checkpoint)."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False)


def _describe(error: ValidationError, source: str) -> str:
    errors = error.errors()
    item = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    key = ".".join(str(part) for part in item["loc"])
    if item["type"] == "extra_forbidden":
        return f"{source}: unknown key '{key}' (check its spelling against the documented fields)"
    value = item.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"{source}: '{key}': {item['msg']}{shown}"


def parse_config(data: dict[str, Any], source: str) -> RunConfig:
    """Resolve the ``[model]`` preset and validate both tables; ``source`` names the file in errors."""
    model = dict(data.get("model", {}))
    preset = model.pop("preset", "small")
    if preset not in _PRESETS:
        raise ConfigError(f"{source}: 'model.preset' must be one of {sorted(_PRESETS)} (got {preset!r})")
    resolved = {**_PRESETS[preset]().model_dump(), **model}
    try:
        return RunConfig.model_validate({**data, "model": resolved})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    try:
        return json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix.lstrip('.').upper()}: {exc}") from None


def load_config(path: Path | None = None) -> RunConfig:
    """Read a TOML config (the small default when ``path`` is None) or a saved ``config.json``."""
    path = path or DEFAULT_CONFIG
    return parse_config(_read(path), str(path))


def explicit_model_keys(path: Path | None) -> set[str]:
    """The ``[model]`` fields a TOML config names itself (not through its preset).

    A fine-tune takes its model from the voice file, except for these: how a config upgrades
    an older voice (``source = "harmonic"``).
    """
    if path is None or path.suffix == ".json":
        return set()
    return set(_read(path).get("model", {})) - {"preset"}
