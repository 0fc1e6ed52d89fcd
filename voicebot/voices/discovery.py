"""Finding the voice files in the models folder."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from voicebot.voices.errors import UnsafeVoicePath
from voicebot.voices.names import VOICE_SUFFIX, voice_name_from_filename

__all__ = ["ModelsScan", "discover_voices", "nested_voices", "scan_models"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelsScan:
    """What a look at the models folder found: the voice files, and the ``*.safetensors``
    entries that cannot be voices (by name when the name is safe, else by file name) with why."""

    voices: dict[str, Path]
    refused: dict[str, str]


def scan_models(models_dir: Path) -> ModelsScan:
    """Look at ``models_dir`` without opening anything or logging; a missing folder is empty."""
    voices: dict[str, Path] = {}
    refused: dict[str, str] = {}
    try:
        entries = sorted(os.scandir(models_dir), key=lambda e: e.name)
    except FileNotFoundError:
        return ModelsScan(voices, refused)
    for entry in entries:
        if not entry.name.endswith(VOICE_SUFFIX):
            continue
        try:
            name = voice_name_from_filename(entry.name)
        except UnsafeVoicePath as exc:
            refused[entry.name] = f"{entry.path}: {exc}"
            continue
        if entry.is_symlink():
            refused[name] = f"{entry.path}: a symbolic link; copy the voice file itself into {models_dir}"
        elif entry.is_dir(follow_symlinks=False):
            refused[name] = f"{entry.path}: a folder, not a voice file"
        elif not entry.is_file(follow_symlinks=False):
            refused[name] = f"{entry.path}: not a regular file (a FIFO or a device)"
        else:
            voices[name] = Path(entry.path)
    return ModelsScan(voices, refused)


def discover_voices(models_dir: Path) -> dict[str, Path]:
    """Voice files directly in ``models_dir``, by name (the file stem), sorted by name.

    Only regular ``*.safetensors`` files with a safe name count; symlinks, folders and other
    special files, and unsafe names are skipped with a warning. A missing folder has no voices.
    Nothing is opened: the files are validated when loaded.
    """
    scan = scan_models(models_dir)
    for reason in scan.refused.values():
        _log.warning("skipping: %s", reason)
    return scan.voices


def nested_voices(models_dir: Path) -> dict[str, Path]:
    """Voice files one folder down (such as ``wip/default`` for ``models/wip/default.safetensors``),
    by ``folder/name``, sorted.

    The bot serves only the files directly in ``models_dir``; these are voices kept aside (work in
    progress, older versions) that ``voicebot say --voice folder/name`` can still speak with.
    Symbolic links and special files are left out, like in :func:`scan_models`.
    """
    found: dict[str, Path] = {}
    try:
        folders = [e for e in os.scandir(models_dir) if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return found
    for folder in sorted(folders, key=lambda e: e.name):
        for name, path in scan_models(Path(folder.path)).voices.items():
            found[f"{folder.name}/{name}"] = path
    return found
