"""Only regular voice files with safe names are discovered in the models folder."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from voicebot.voices import discover_voices


def test_only_safe_regular_voice_files_are_found(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outside = tmp_path / "outside.safetensors"
    outside.write_bytes(b"x")
    models = tmp_path / "models"
    models.mkdir()
    for name in ("kumo.safetensors", "alpha.safetensors", ".hidden.safetensors", "openjtalk.safetensors"):
        (models / name).write_bytes(b"x")
    (models / "notes.txt").write_text("not a voice")
    (models / "folder.safetensors").mkdir()
    (models / "link.safetensors").symlink_to(outside)
    os.mkfifo(models / "pipe.safetensors")
    with caplog.at_level(logging.WARNING, logger="voicebot.voices"):
        found = discover_voices(models)
    assert found == {"alpha": models / "alpha.safetensors", "kumo": models / "kumo.safetensors"}
    warnings = "\n".join(r.getMessage() for r in caplog.records)
    for skipped in (
        "link.safetensors: a symbolic link",
        "pipe.safetensors: not a regular file",
        "built-in voice",
    ):
        assert skipped in warnings


def test_missing_folder_has_no_voices(tmp_path: Path) -> None:
    assert discover_voices(tmp_path / "nope") == {}
