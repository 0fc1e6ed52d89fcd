"""Export a training run as a voice file: inference weights plus metadata, via voicebot.voices."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from voicebot import __version__
from voicebot.model import ET2Model
from voicebot.training.checkpoint import load_checkpoint, load_latest
from voicebot.training.config import RunConfig
from voicebot.training.errors import CheckpointError
from voicebot.voices import VoiceMeta, write_voice_file

__all__ = ["export_voice", "provenance"]

_log = logging.getLogger(__name__)


def provenance(state: dict[str, Any], run: Path) -> str:
    """Where a voice comes from: voicebot version, run, steps and the data it was trained on."""
    data = state.get("dataset", {})
    minutes = float(data.get("total_seconds", 0.0)) / 60
    speakers = ", ".join(
        f"{name} ({counts.get('train', 0)} train utterances)"
        for name, counts in data.get("counts", {}).items()
    )
    sources = "; ".join(f"{name}: {path}" for name, path in data.get("sources", {}).items())
    return (
        f"Trained with voicebot {__version__} (run {run.name}) for {state['step']} steps on "
        f"{minutes:.1f} minutes of speech: {speakers}. Sources: {sources or 'unknown'}."
    )


def export_voice(
    run: Path,
    out: Path,
    display_name: str,
    license_text: str,
    fp16: bool = False,
    checkpoint: Path | None = None,
    default_speaker: str | None = None,
) -> VoiceMeta:
    """Write the newest checkpoint of ``run`` (or ``checkpoint``) to the voice file ``out``.

    Raises :class:`CheckpointError` when there is no checkpoint or it lacks inference tensors.
    """
    state = load_checkpoint(checkpoint) if checkpoint else load_latest(run)
    if state is None:
        raise CheckpointError(f"{run} has no checkpoint yet: train first (voicebot train --run {run} ...)")
    config = RunConfig.model_validate_json(state["config"])
    symbols, speakers = tuple(state["symbols"]), tuple(state["speakers"])
    model = ET2Model(config.model, len(symbols), len(speakers), training=False)
    wanted = model.state_dict().keys()
    missing = [key for key in wanted if key not in state["model"]]
    if missing:
        raise CheckpointError(
            f"checkpoint of step {state['step']} lacks tensors {missing[:3]}: is it from this voicebot?"
        )
    weights = {key: state["model"][key] for key in wanted}
    meta = VoiceMeta(
        display_name=display_name,
        config=config.model,
        symbols=symbols,
        symbol_table_version=int(state["symbol_table_version"]),
        speakers=speakers,
        default_speaker=default_speaker or speakers[0],
        license=license_text,
        provenance=provenance(state, run),
        pitch={s: tuple(v) for s, v in state.get("dataset", {}).get("pitch", {}).items() if s in speakers},
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_voice_file(out, weights, meta, fp16=fp16)
    _log.info("exported step %d of %s to %s", state["step"], run, out)
    return meta
