"""Validation of a new voice file in a separate, short-lived, memory-limited process.

``python -m voicebot.engine.validate FILE`` loads the file with the voice-file validator,
synthesizes a test sentence and checks the audio: finite, not silent, a sane speaking rate
and synthesis speed. It prints one JSON line: ``{"ok": true, "info": {...}}`` or
``{"ok": false, "reason": "..."}``. The address space is limited with ``RLIMIT_AS`` once torch
is imported, so a hostile file (a header that claims terabytes, say) fails there, not in the
bot. The engine runs it with :func:`validate_voice` before a file is ever used.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import signal
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from voicebot.engine.errors import VoiceRejected
from voicebot.engine.values import VoiceInfo

__all__ = ["TEST_SENTENCE", "check_voice", "validate_voice"]

TEST_SENTENCE = "こんにちは、今日はいい天気ですね。"
# Speaking-rate bounds, seconds of audio per character of the test sentence: slow speech is
# about 0.25, fast about 0.08; outside these the voice mumbles or drones.
_MIN_SECONDS_PER_CHAR = 0.02
_MAX_SECONDS_PER_CHAR = 1.0
_MIN_RMS = 1e-3  # -60 dBFS: quieter than this is silence
_MAX_RTF = 5.0  # slower than this cannot keep up with a chat


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio - audio.mean(), dtype=np.float64)))) if audio.size else 0.0


def check_voice(path: Path, name: str, max_bytes: int) -> VoiceInfo:
    """Load ``path`` in this process and check that it speaks.

    Raises:
        VoiceRejected: with the reason, e.g. the voice-file validator's message, or silent audio.
    """
    from voicebot.engine.runtime import seed_everything
    from voicebot.voices import NeuralVoice, VoiceFileError

    try:
        voice = NeuralVoice.load(path, max_bytes=max_bytes)
    except VoiceFileError as exc:
        raise VoiceRejected(str(exc)) from None
    seed_everything()
    started = time.perf_counter()
    audio = np.asarray(voice.synthesize(TEST_SENTENCE), dtype=np.float32).reshape(-1)
    elapsed = time.perf_counter() - started
    seconds = audio.size / voice.sample_rate
    if not np.isfinite(audio).all():
        raise VoiceRejected(
            "the voice produces NaN or infinite samples: the weights are broken, retrain or re-export it"
        )
    if _rms(audio) < _MIN_RMS:
        raise VoiceRejected(
            "the voice produces silence for a test sentence: the weights are empty or untrained"
        )
    per_char = seconds / len(TEST_SENTENCE)
    if not _MIN_SECONDS_PER_CHAR <= per_char <= _MAX_SECONDS_PER_CHAR:
        raise VoiceRejected(
            f"the voice speaks a {len(TEST_SENTENCE)}-character test sentence in {seconds:.2f} s, "
            "far from natural speech: the duration model is broken, retrain or re-export it"
        )
    if elapsed > _MAX_RTF * max(seconds, 0.1):
        raise VoiceRejected(
            f"the voice takes {elapsed:.1f} s for {seconds:.1f} s of speech: too slow to read chat aloud; "
            "use a smaller model"
        )
    return VoiceInfo(name, voice.display_name, tuple(voice.speakers), voice.sample_rate, "")


def _limit_memory(budget_mb: int) -> None:
    """Allow ``budget_mb`` MiB of address space beyond what the process maps now."""
    with open("/proc/self/status", encoding="ascii") as status:
        vm_kib = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = vm_kib * 1024 + budget_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str] | None = None) -> int:
    """Validate one file; print the JSON verdict; exit 0 when it was judged (either way)."""
    parser = argparse.ArgumentParser(prog="python -m voicebot.engine.validate", description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--name", required=True)
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--max-bytes", type=int, required=True)
    args = parser.parse_args(argv)
    import torch

    import voicebot.voices  # noqa: F401  (imported before the limit: code is not what we limit)

    torch.set_num_threads(1)
    _limit_memory(args.memory_mb)
    try:
        info = check_voice(args.path, args.name, args.max_bytes)
        verdict: dict[str, object] = {"ok": True, "info": asdict(info)}
    except VoiceRejected as exc:
        verdict = {"ok": False, "reason": str(exc)}
    except MemoryError:
        verdict = {"ok": False, "reason": f"loading the voice needs more than {args.memory_mb} MiB of memory"}
    except Exception as exc:  # anything the file makes the model do wrong is a rejection
        verdict = {"ok": False, "reason": f"the voice fails to run: {type(exc).__name__}: {exc}"}
    print(json.dumps(verdict, ensure_ascii=False), flush=True)
    return 0


def _crash_reason(returncode: int, stderr: bytes) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"the validator was killed by {signal.Signals(-returncode).name} while loading the voice"
    last = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
    return f"the validator crashed (exit {returncode}): {last[0][:300]}"


async def validate_voice(
    path: Path, name: str, *, memory_mb: int, max_bytes: int, timeout: float
) -> VoiceInfo:
    """Run the validator on ``path`` in a child process.

    Returns:
        The voice's :class:`VoiceInfo` (``version`` left empty: the caller knows the content hash).

    Raises:
        VoiceRejected: the file failed a check, the validator crashed, ran out of memory or time.
    """
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "voicebot.engine.validate",
        str(path),
        "--name",
        name,
        "--memory-mb",
        str(memory_mb),
        "--max-bytes",
        str(max_bytes),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise VoiceRejected(
            f"validating {name!r} took longer than {timeout:.0f} s: the model is too slow"
        ) from None
    except asyncio.CancelledError:
        process.kill()
        await process.wait()
        raise
    lines = stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        verdict = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise VoiceRejected(_crash_reason(process.returncode or 0, stderr)) from None
    if not verdict.get("ok"):
        raise VoiceRejected(str(verdict.get("reason", "rejected")))
    info = verdict["info"]
    return VoiceInfo(
        info["name"], info["display_name"], tuple(info["speakers"]), int(info["sample_rate"]), info["version"]
    )


if __name__ == "__main__":
    sys.exit(main())
