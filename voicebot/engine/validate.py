"""Runs :func:`voicebot.engine.checks.run_checks` on a voice file in a short-lived child process.

Whatever the file does there (exhaust memory, crash the process, hang) costs that process
only. The verdict comes back as JSON bytes, never unpickled: the child has run untrusted input.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING

from voicebot.engine.checks import run_checks
from voicebot.engine.errors import VoiceRejected
from voicebot.engine.values import VoiceInfo

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

__all__ = ["ValidatorLimits", "validate_voice"]

_MAX_VERDICT_BYTES = 64 * 1024


@dataclass(frozen=True)
class ValidatorLimits:
    """What a voice file may cost the validator.

    Attributes:
        memory_mb: address space the validator may add to what torch maps.
        max_bytes: size of the file.
        timeout: seconds for the whole check, starting the process included.
        max_rtf: CPU seconds per second of speech for the test sentence (slower cannot keep up
            with a chat).
    """

    memory_mb: int = 2048
    max_bytes: int = 64 * 1024 * 1024
    timeout: float = 120.0
    max_rtf: float = 5.0


def _crash_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        with contextlib.suppress(ValueError):
            return f"the validator was killed by {signal.Signals(-exitcode).name} while loading the voice"
    return f"the validator crashed (exit code {exitcode}) while loading the voice"


class _TimedOut(Exception):
    """The validator sent nothing and stayed alive for the whole timeout."""


def _receive(conn: Connection, sentinel: int, timeout: float) -> bytes | None:
    """The verdict, or None when the child exits without one.

    Waits on the process's sentinel as well as the pipe: under ``forkserver`` the pipe does not
    always reach end-of-file when the child dies, so a crash would otherwise look like a timeout.

    Raises:
        _TimedOut: neither came within ``timeout`` seconds.
    """
    if not wait([conn, sentinel], timeout):
        raise _TimedOut
    if not conn.poll(0):
        return None
    try:
        return conn.recv_bytes(_MAX_VERDICT_BYTES)
    except (EOFError, OSError):
        return None


async def validate_voice(context: BaseContext, path: Path, name: str, limits: ValidatorLimits) -> VoiceInfo:
    """Judge ``path`` in a child process started from ``context``, within ``limits``.

    Returns:
        The voice's :class:`VoiceInfo` (``version`` left empty: the caller knows the content hash).

    Raises:
        VoiceRejected: the file failed a check, or the validator crashed, ran out of memory or time.
    """
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=run_checks,
        args=(sender, str(path), name, limits.memory_mb, limits.max_bytes, limits.max_rtf),
        name="voicebot-validator",
        daemon=True,
    )
    try:
        await asyncio.to_thread(process.start)
        sender.close()
        try:
            raw = await asyncio.to_thread(_receive, receiver, process.sentinel, limits.timeout)
        except _TimedOut:
            process.kill()
            await asyncio.to_thread(process.join)
            raise VoiceRejected(
                f"validating {name!r} took longer than {limits.timeout:g} s: the model is too slow"
            ) from None
        await asyncio.to_thread(process.join, 5.0)
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
    if raw is None:
        raise VoiceRejected(_crash_reason(process.exitcode))
    try:
        verdict = json.loads(raw)
        if not verdict["ok"]:
            raise VoiceRejected(str(verdict["reason"]))
        info = verdict["info"]
        return VoiceInfo(
            str(info["name"]),
            str(info["display_name"]),
            tuple(str(s) for s in info["speakers"]),
            int(info["sample_rate"]),
            "",
            tuple(str(c) for c in info["controls"]),
        )
    except (ValueError, KeyError, TypeError):
        raise VoiceRejected("the validator sent a malformed verdict") from None
