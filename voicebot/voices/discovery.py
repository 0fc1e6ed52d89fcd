"""Finding the voice files in the models folder."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from voicebot.voices.errors import UnsafeVoicePath
from voicebot.voices.names import VOICE_SUFFIX, voice_name_from_filename

__all__ = ["discover_voices"]

_log = logging.getLogger(__name__)


def discover_voices(models_dir: Path) -> dict[str, Path]:
    """Voice files directly in ``models_dir``, by name (the file stem), sorted by name.

    Only regular ``*.safetensors`` files with a safe name count; symlinks, folders and other
    special files, and unsafe names are skipped with a warning. A missing folder has no voices.
    Nothing is opened: the files are validated when loaded.
    """
    voices: dict[str, Path] = {}
    try:
        entries = sorted(os.scandir(models_dir), key=lambda e: e.name)
    except FileNotFoundError:
        return voices
    for entry in entries:
        if not entry.name.endswith(VOICE_SUFFIX):
            continue
        try:
            name = voice_name_from_filename(entry.name)
        except UnsafeVoicePath as exc:
            _log.warning("skipping %s: %s", entry.path, exc)
            continue
        if entry.is_symlink():
            _log.warning(
                "skipping %s: a symbolic link; copy the voice file itself into %s", entry.path, models_dir
            )
        elif not entry.is_file(follow_symlinks=False):
            _log.warning("skipping %s: not a regular file", entry.path)
        else:
            voices[name] = Path(entry.path)
    return voices
