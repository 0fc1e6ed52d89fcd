"""The checks a new voice file must pass, run in a separate, memory-limited process.

:func:`run_checks` loads the file with the voice-file validator, synthesizes a test sentence
and checks the audio: finite, not silent, a sane speaking rate and synthesis speed. It sends
one JSON verdict: ``{"ok": true, "info": {...}}`` or ``{"ok": false, "reason": "..."}``. The
address space is limited with ``RLIMIT_AS`` once torch is imported, so a hostile file (a
header that claims terabytes, say) fails there, not in the bot. The engine starts it through
:func:`voicebot.engine.validate.validate_voice`.
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import asdict
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from voicebot.engine.errors import VoiceRejected
from voicebot.engine.values import VoiceInfo

__all__ = ["TEST_SENTENCE", "check_voice", "run_checks"]

TEST_SENTENCE = "こんにちは、今日はいい天気ですね。"
# Speaking-rate bounds, seconds of audio per character of the test sentence: slow speech is
# about 0.25, fast about 0.08; outside these the voice mumbles or drones.
_MIN_SECONDS_PER_CHAR = 0.02
_MAX_SECONDS_PER_CHAR = 1.0
_MIN_RMS = 1e-3  # -60 dBFS: quieter than this is silence


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio - audio.mean(), dtype=np.float64)))) if audio.size else 0.0


def check_voice(path: Path, name: str, max_bytes: int, max_rtf: float) -> VoiceInfo:
    """Load ``path`` in this process and check that it speaks, at most ``max_rtf`` seconds of CPU
    time per second of speech.

    Raises:
        VoiceRejected: with the reason, e.g. the voice-file validator's message, or silent audio.
    """
    from voicebot.engine.runtime import seed_everything
    from voicebot.voices import NeuralVoice, VoiceFileError

    try:
        voice = NeuralVoice.load(path, max_bytes=max_bytes)
    except VoiceFileError as exc:
        raise VoiceRejected(str(exc)) from None
    voice.synthesize("あ")  # first calls load the dictionary and allocate: not the voice's speed
    seed_everything()
    # CPU time of this process, not wall time: other processes on a busy machine do not count.
    started = time.process_time()
    audio = np.asarray(voice.synthesize(TEST_SENTENCE), dtype=np.float32).reshape(-1)
    elapsed = time.process_time() - started
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
    if elapsed > max_rtf * max(seconds, 0.1):
        raise VoiceRejected(
            f"the voice takes {elapsed:.1f} s for {seconds:.1f} s of speech: too slow to read chat aloud; "
            "use a smaller model"
        )
    return VoiceInfo(
        name, voice.display_name, tuple(voice.speakers), voice.sample_rate, "", tuple(sorted(voice.controls))
    )


def _limit_memory(budget_mb: int) -> None:
    """Allow ``budget_mb`` MiB of address space beyond what the process maps now."""
    with open("/proc/self/status", encoding="ascii") as status:
        vm_kib = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = vm_kib * 1024 + budget_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


# How allocation failures read when they come from torch's CPU allocator or from oneDNN rather
# than from Python: as RuntimeErrors.
_ALLOCATION_FAILURES = ("can't allocate memory", "could not create a primitive")


def _out_of_memory(exc: Exception) -> bool:
    """Whether ``exc`` is an allocation failure."""
    return isinstance(exc, MemoryError) or any(text in str(exc) for text in _ALLOCATION_FAILURES)


def run_checks(
    conn: Connection, path: str, name: str, memory_mb: int, max_bytes: int, max_rtf: float
) -> None:
    """Entry point of the validator process: judge ``path`` and send the verdict as JSON bytes.

    The verdict travels as JSON, never as a pickle: this process has run untrusted input.
    """
    import torch

    import voicebot.voices  # noqa: F401  (imported before the limit: code is not what we limit)

    torch.set_num_threads(1)
    _limit_memory(memory_mb)
    try:
        info = check_voice(Path(path), name, max_bytes, max_rtf)
        verdict: dict[str, object] = {"ok": True, "info": asdict(info)}
    except VoiceRejected as exc:
        verdict = {"ok": False, "reason": str(exc)}
    except Exception as exc:  # anything the file makes the model do wrong is a rejection
        reason = f"the voice fails to run: {type(exc).__name__}: {exc}"
        if _out_of_memory(exc):
            reason = (
                f"the voice needs more than the {memory_mb} MiB of memory a voice may use to load and speak "
                "a test sentence: its model is too large, or its duration model is broken"
            )
        verdict = {"ok": False, "reason": reason}
    conn.send_bytes(json.dumps(verdict, ensure_ascii=False).encode("utf-8"))
    conn.close()
