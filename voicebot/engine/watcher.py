"""Polls the models directory for voice files added, replaced or removed.

A file is reported only once its size and modification time are the same in two polls in a
row, so a file still being copied is never picked up half-written. A ``*.safetensors`` entry
that cannot be a voice (a symlink, folder or FIFO) is reported once as ``refused``; in place of
a serving voice it does not count as a removal, so the previous version keeps serving.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from voicebot.voices import VOICE_SUFFIX, scan_models

__all__ = ["ModelsWatcher", "VoiceFileChange"]

_Stat = tuple[int, int]


@dataclass(frozen=True)
class VoiceFileChange:
    """A voice file that appeared (``added``), changed (``changed``) or went away (``removed``), or
    an entry that cannot be a voice (``refused``, with the ``reason``)."""

    kind: Literal["added", "changed", "removed", "refused"]
    name: str
    path: Path
    reason: str = ""


class ModelsWatcher:
    """Diffs successive scans of ``directory``: regular ``*.safetensors`` files with safe names."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._previous: dict[str, _Stat] = {}
        self._known: dict[str, _Stat] = {}
        self._refused: dict[str, str] = {}

    def scan(self) -> dict[str, Path]:
        """Voice files present now, by name (see :func:`voicebot.voices.discover_voices`)."""
        return scan_models(self.directory).voices

    def _stats(self, voices: dict[str, Path]) -> dict[str, tuple[Path, _Stat]]:
        stats: dict[str, tuple[Path, _Stat]] = {}
        for name, path in voices.items():
            try:
                st = path.stat()
            except OSError:  # removed between listing and stat
                continue
            stats[name] = (path, (st.st_size, st.st_mtime_ns))
        return stats

    def mark_known(self, name: str, path: Path | None) -> None:
        """Record the current state of ``name`` as handled (``path`` None: known to be absent)."""
        self._known.pop(name, None)
        self._previous.pop(name, None)
        if path is not None:
            try:
                st = path.stat()
            except OSError:
                return
            self._known[name] = self._previous[name] = (st.st_size, st.st_mtime_ns)

    def poll(self) -> list[VoiceFileChange]:
        """Changes since the last report; files whose stat moved since the previous poll wait."""
        scan = scan_models(self.directory)
        stats = self._stats(scan.voices)
        changes: list[VoiceFileChange] = []
        for name, reason in sorted(scan.refused.items()):
            if self._refused.get(name) != reason:
                changes.append(
                    VoiceFileChange("refused", name, self.directory / f"{name}{VOICE_SUFFIX}", reason)
                )
        self._refused = dict(scan.refused)
        for name, (path, stat) in sorted(stats.items()):
            stable = self._previous.get(name) == stat
            if stable and self._known.get(name) != stat:
                changes.append(VoiceFileChange("changed" if name in self._known else "added", name, path))
                self._known[name] = stat
        for name in sorted(set(self._known) - set(stats) - set(scan.refused)):
            changes.append(VoiceFileChange("removed", name, self.directory / f"{name}{VOICE_SUFFIX}"))
            del self._known[name]
        self._previous = {name: stat for name, (_, stat) in stats.items()}
        return changes
