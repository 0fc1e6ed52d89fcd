"""Read a file's bytes exactly once, refusing symlinks, special files and concurrent changes.

Everything later (header checks, tensor loading) works on the returned bytes, so what is
validated is what is loaded. A writer that changes the file in place or renames another
file over it while it is read is caught by comparing the file's identity, size and times
before and after the read.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from voicebot.voices.errors import UnsafeVoicePath, VoiceFileChanged, VoiceFileError, VoiceFileTooLarge

__all__ = ["SnapshotReader", "open_voice_file"]

_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _sizes(size: int, limit: int) -> tuple[str, str]:
    """``size`` and ``limit`` written so that the two differ (more digits, or bytes, when close)."""
    if min(size, limit) >= 100_000:
        for digits in (1, 2, 3):
            shown = f"{size / 1e6:.{digits}f} MB", f"{limit / 1e6:.{digits}f} MB"
            if shown[0] != shown[1]:
                return shown
    return f"{size:,} bytes", f"{limit:,} bytes"


def _open(path: Path) -> int:
    try:
        return os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeVoicePath(
                f"{path} is a symbolic link: voice files must be regular files, copy the file itself there"
            ) from None
        if exc.errno == errno.ENOENT:
            raise VoiceFileError(f"{path} does not exist: check the name and the models folder") from None
        raise VoiceFileError(f"cannot open {path}: {exc.strerror}") from None


def open_voice_file(path: Path, max_bytes: int) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading as a voice file: no symlink followed, never blocking (a FIFO),
    a regular file of at most ``max_bytes``. Returns the descriptor (the caller closes it) and
    its stat; on a refusal nothing stays open.

    Raises:
        UnsafeVoicePath: a symlink, a folder, a FIFO or a device.
        VoiceFileTooLarge: over ``max_bytes``.
        VoiceFileError: missing or unreadable.
    """
    fd = _open(path)
    info = os.fstat(fd)
    try:
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise UnsafeVoicePath(f"{path} is {kind}: voice files must be plain files")
        if info.st_size > max_bytes:
            size, limit = _sizes(info.st_size, max_bytes)
            raise VoiceFileTooLarge(f"{path} is {size}, over the {limit} limit for voice files")
    except VoiceFileError:
        os.close(fd)
        raise
    return fd, info


class SnapshotReader:
    """Reads one file into memory safely.

    Args:
        max_bytes: files larger than this are refused without being read.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def before_read(self, path: Path) -> None:
        """Called after the file is opened and checked, just before its bytes are read.

        Does nothing here; a subclass can act in this window (tests use it to play a
        concurrent writer).
        """

    def read(self, path: Path) -> bytes:
        """Return every byte of ``path``.

        Raises:
            UnsafeVoicePath: a symlink (never followed) or not a regular file (FIFO, device...).
            VoiceFileTooLarge: over ``max_bytes`` (checked before reading).
            VoiceFileChanged: modified, replaced or removed while being read.
            VoiceFileError: missing or unreadable.
        """
        fd, before = open_voice_file(path, self.max_bytes)
        with os.fdopen(fd, "rb", closefd=True) as file:
            self.before_read(path)
            # One byte more than the size: a file that grew meanwhile shows up as a length mismatch.
            data = file.read(before.st_size + 1)
            after = os.fstat(fd)
        try:
            current = os.stat(path, follow_symlinks=False)
        except OSError:
            current = None
        if (
            current is None
            or not _identity(before) == _identity(after) == _identity(current)
            or len(data) != before.st_size
        ):
            raise VoiceFileChanged(
                f"{path} was changed or replaced while it was read: try again once it is written"
            )
        return data
