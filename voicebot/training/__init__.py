"""Training: data prepare, the adversarial trainer, checkpoints and export to voice files.

Never imported by inference code. Entry points: :func:`prepare_dataset` (``voicebot data
prepare``), :func:`train` (``voicebot train``) and :func:`export_voice` (``voicebot export``).
"""

from __future__ import annotations

from voicebot.training.config import DEFAULT_CONFIG, RunConfig, TrainConfig, load_config
from voicebot.training.errors import CheckpointError, DataError, TrainingError
from voicebot.training.export import export_voice
from voicebot.training.prepare import PrepareResult, prepare_dataset
from voicebot.training.trainer import TrainOptions, TrainResult, train

__all__ = [
    "DEFAULT_CONFIG",
    "CheckpointError",
    "DataError",
    "PrepareResult",
    "RunConfig",
    "TrainConfig",
    "TrainOptions",
    "TrainResult",
    "TrainingError",
    "export_voice",
    "load_config",
    "prepare_dataset",
    "train",
]
