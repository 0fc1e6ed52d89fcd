"""Immutable, content-addressed copies of voice files, and atomic publishing into the models folder.

Workers and the validator never read the models folder directly: a file there may be
replaced at any moment. The engine copies it to ``<data_dir>/engine/voices/<name>-<hash>``
first, and everything after that reads the copy, whose name says exactly what it holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from voicebot.voices.errors import VoiceFileTooLarge
from voicebot.voices.snapshot import open_voice_file

__all__ = ["VERSION_DIGITS", "publish", "stage"]

VERSION_DIGITS = 16
_BLOCK = 1 << 20


def stage(source: Path, staging_dir: Path, name: str, max_bytes: int) -> tuple[Path, str]:
    """Copy ``source`` into ``staging_dir`` under its content hash.

    ``source`` is opened as the loader opens voice files (no symlinks, never blocking, regular
    files of at most ``max_bytes`` only, checked before anything is copied), and at most
    ``max_bytes`` are copied even if it grows meanwhile.

    Returns:
        (path of the copy, version: the first 16 hex digits of its SHA-256).
    Raises:
        VoiceFileError: the source is refused (nothing is left in ``staging_dir``).
    """
    src_fd, _ = open_voice_file(source, max_bytes)
    with os.fdopen(src_fd, "rb") as src:
        staging_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=staging_dir, prefix=f".{name}-", suffix=".partial")
        try:
            copied = 0
            with os.fdopen(fd, "wb") as dst:
                while copied <= max_bytes and (block := src.read(min(_BLOCK, max_bytes + 1 - copied))):
                    copied += len(block)
                    digest.update(block)
                    dst.write(block)
            if copied > max_bytes:
                raise VoiceFileTooLarge(f"{source} grew past the voice file limit while it was copied")
            version = digest.hexdigest()[:VERSION_DIGITS]
            target = staging_dir / f"{name}-{version}.safetensors"
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
    return target, version


def publish(source: Path, directory: Path, file_name: str) -> Path:
    """Copy ``source`` to ``directory/file_name`` atomically: readers see the old or the whole new file."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{file_name}.", suffix=".partial")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp_name)
        target = directory / file_name
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    return target
