"""The run folder's configuration: which config a new or resumed run trains with.

A new run takes ``--config`` (or the small default); fine-tuning takes the model config from
the voice file, except for the ``[model]`` fields ``--config`` names itself (so a config can
give an older voice the harmonic source). A resumed run keeps the ``[model]`` it was started
with: ``--config`` may change ``[train]`` (batch size, intervals...) but a different
``[model]`` is refused.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from voicebot.errors import ConfigError
from voicebot.model import ModelConfig
from voicebot.training.config import RunConfig, TrainConfig, explicit_model_keys, load_config
from voicebot.training.errors import TrainingError

__all__ = ["CONFIG_NAME", "resolve_config", "save_config"]

_log = logging.getLogger(__name__)

CONFIG_NAME = "config.json"


def _changed(old: ModelConfig, new: ModelConfig) -> list[str]:
    a, b = old.model_dump(), new.model_dump()
    return [key for key in a if a[key] != b[key]]


def resolve_config(
    run: Path, config_path: Path | None, voice_config: ModelConfig | None, overrides: dict[str, Any]
) -> RunConfig:
    """The config to train ``run`` with; ``overrides`` (None values ignored) replace ``[train]`` keys."""
    saved = run / CONFIG_NAME
    if saved.is_file():
        base = load_config(saved)
        if config_path is not None:
            requested = load_config(config_path)
            changed = _changed(base.model, requested.model)
            if changed:
                raise TrainingError(
                    f"run folder {run} was started with another [model] than {config_path} "
                    f"(differs in {', '.join(changed[:5])}): leave out --config to continue it, "
                    "or pick a new --run folder"
                )
            base = requested
    else:
        base = load_config(config_path)
        if voice_config is not None:
            explicit = explicit_model_keys(config_path)
            chosen = {
                key: getattr(base.model, key)
                for key in explicit
                if getattr(base.model, key) != getattr(voice_config, key)
            }
            try:
                model = ModelConfig.model_validate({**voice_config.model_dump(), **chosen})
            except ValidationError as exc:
                raise ConfigError(
                    f"{config_path}: [model] does not fit the voice: {exc.errors()[0]['msg']}"
                ) from None
            _log.info(
                "fine-tuning: model config taken from the voice file%s",
                f", with {', '.join(sorted(chosen))} from {config_path}" if chosen else "",
            )
            base = RunConfig(model=model, train=base.train)
    updates = {key: value for key, value in overrides.items() if value is not None}
    try:
        train = TrainConfig.model_validate({**base.train.model_dump(), **updates})
    except ValidationError as exc:
        raise ConfigError(f"invalid option: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from None
    return RunConfig(model=base.model, train=train)


def save_config(run: Path, config: RunConfig) -> None:
    """Write the resolved config into the run folder (what a rerun without --config uses)."""
    run.mkdir(parents=True, exist_ok=True)
    tmp = run / (CONFIG_NAME + ".tmp")
    tmp.write_text(config.to_json() + "\n", encoding="utf-8")
    tmp.replace(run / CONFIG_NAME)
