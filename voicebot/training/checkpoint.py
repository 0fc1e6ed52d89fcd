"""Checkpoint files of a run: ``RUN/checkpoints/step_XXXXXXXXX.pt``.

Written atomically (temp file, fsync, rename), read with ``torch.load(weights_only=True)``
only, so a checkpoint can never run code. A corrupt newest checkpoint falls back to the
previous one with a warning; when none can be read, :class:`CheckpointError` says so rather
than training silently restarting from scratch.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from voicebot.training.errors import CheckpointError

__all__ = [
    "checkpoint_path",
    "list_checkpoints",
    "load_checkpoint",
    "load_latest",
    "prune",
    "save_checkpoint",
]

_log = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^step_(\d{9})\.pt$")


def checkpoint_path(run: Path, step: int) -> Path:
    """Where the checkpoint of ``step`` lives in ``run``."""
    return run / "checkpoints" / f"step_{step:09d}.pt"


def list_checkpoints(run: Path) -> list[Path]:
    """Checkpoints of ``run``, oldest first."""
    folder = run / "checkpoints"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME_RE.match(p.name))


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (tensors, numbers, strings, lists, dicts) to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        torch.save(state, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read one checkpoint (weights only); raise :class:`CheckpointError` if unreadable."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {str(exc).splitlines()[0]}") from None
    if not isinstance(state, dict) or "step" not in state or "model" not in state:
        raise CheckpointError(f"{path} is not a voicebot training checkpoint")
    return state


def load_latest(run: Path) -> dict[str, Any] | None:
    """The newest readable checkpoint of ``run``, or None if the run has none yet.

    Unreadable newer checkpoints are skipped with a warning naming them.
    """
    paths = list_checkpoints(run)
    for path in reversed(paths):
        try:
            state = load_checkpoint(path)
        except CheckpointError as exc:
            _log.warning("%s; falling back to the previous checkpoint", exc)
            continue
        return state
    if paths:
        raise CheckpointError(
            f"none of the {len(paths)} checkpoints in {run / 'checkpoints'} can be read: "
            "delete the folder to start over, or restore a copy"
        )
    return None


def prune(run: Path, keep_last: int) -> None:
    """Delete all but the ``keep_last`` newest checkpoints of ``run``."""
    for path in list_checkpoints(run)[:-keep_last]:
        path.unlink(missing_ok=True)
