"""The models-directory watcher: stable files only, add / change / remove."""

from __future__ import annotations

import os
from pathlib import Path

from voicebot.engine.watcher import ModelsWatcher


def _kinds(watcher: ModelsWatcher) -> list[tuple[str, str]]:
    return [(change.kind, change.name) for change in watcher.poll()]


def test_a_file_is_reported_once_stable(tmp_path: Path) -> None:
    watcher = ModelsWatcher(tmp_path)
    (tmp_path / "kumo.safetensors").write_bytes(b"x" * 10)
    assert _kinds(watcher) == []
    assert _kinds(watcher) == [("added", "kumo")]
    assert _kinds(watcher) == []


def test_a_file_still_being_written_waits(tmp_path: Path) -> None:
    watcher = ModelsWatcher(tmp_path)
    path = tmp_path / "kumo.safetensors"
    path.write_bytes(b"x" * 10)
    watcher.poll()
    with path.open("ab") as growing:
        growing.write(b"y" * 10)
    assert _kinds(watcher) == []  # size moved since the last poll
    assert _kinds(watcher) == [("added", "kumo")]


def test_replace_and_remove(tmp_path: Path) -> None:
    watcher = ModelsWatcher(tmp_path)
    path = tmp_path / "kumo.safetensors"
    path.write_bytes(b"old")
    watcher.poll()
    watcher.poll()
    path.write_bytes(b"new content")
    os.utime(path, ns=(1, 1))
    assert _kinds(watcher) == []
    assert _kinds(watcher) == [("changed", "kumo")]
    path.unlink()
    assert _kinds(watcher) == [("removed", "kumo")]


def test_hidden_partial_and_other_files_are_ignored(tmp_path: Path) -> None:
    watcher = ModelsWatcher(tmp_path)
    (tmp_path / ".kumo.safetensors.partial").write_bytes(b"x")
    (tmp_path / ".hidden.safetensors").write_bytes(b"x")
    (tmp_path / "notes.txt").write_bytes(b"x")
    watcher.poll()
    assert _kinds(watcher) == []


def test_mark_known_suppresses_our_own_writes(tmp_path: Path) -> None:
    watcher = ModelsWatcher(tmp_path)
    path = tmp_path / "kumo.safetensors"
    path.write_bytes(b"x")
    watcher.mark_known("kumo", path)
    assert _kinds(watcher) == []
    assert _kinds(watcher) == []


def test_missing_directory_has_no_files(tmp_path: Path) -> None:
    assert ModelsWatcher(tmp_path / "nope").poll() == []
