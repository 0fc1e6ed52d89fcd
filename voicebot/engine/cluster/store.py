"""The cluster's voice files: validated voice versions held by one named, detached Ray actor.

The bot validates a file (as for local workers) and only then puts its bytes here; a replica
that lacks a version fetches it, checks its hash and loads it. Each bot process that uses a
version holds it (several shard processes may share the cluster); a version is dropped when
the last one lets go, so a running request of another process never loses its voice.
"""

from __future__ import annotations

import hashlib

__all__ = ["NAMESPACE", "STORE_NAME", "VoiceStore", "voice_version"]

NAMESPACE = "voicebot"
STORE_NAME = "voicebot-voices"


def voice_version(data: bytes) -> str:
    """A voice file's version: the first 16 hex digits of its SHA-256 (as the engine stages it)."""
    return hashlib.sha256(data).hexdigest()[:16]


class VoiceStore:
    """Voice files by (name, version), and which bot processes hold each (a Ray actor)."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], bytes] = {}
        self._holders: dict[tuple[str, str], set[str]] = {}
        self._latest: dict[str, str] = {}

    def put(self, name: str, version: str, data: bytes, holder: str) -> None:
        """Keep ``data`` as ``name``'s ``version`` for ``holder``; it becomes the latest version.

        Raises:
            ValueError: ``data`` does not hash to ``version`` (damaged on the way).
        """
        if voice_version(data) != version:
            raise ValueError(f"voice {name!r}: the file does not match its version {version}")
        self._files[(name, version)] = data
        self._holders.setdefault((name, version), set()).add(holder)
        self._latest[name] = version

    def get(self, name: str, version: str) -> bytes | None:
        """The file of ``name``'s ``version``, or None when no process holds it any more."""
        return self._files.get((name, version))

    def latest(self) -> list[tuple[str, str]]:
        """(name, version) of the newest version of every voice: what a new replica loads."""
        return sorted(self._latest.items())

    def held(self) -> list[tuple[str, str]]:
        """(name, version) of every version some bot process still holds."""
        return sorted(self._files)

    def drop(self, name: str, version: str, holder: str) -> None:
        """``holder`` no longer uses the version; it is deleted once nobody does."""
        holders = self._holders.get((name, version), set())
        holders.discard(holder)
        if holders:
            return
        self._holders.pop((name, version), None)
        self._files.pop((name, version), None)
        if self._latest.get(name) == version:
            del self._latest[name]
