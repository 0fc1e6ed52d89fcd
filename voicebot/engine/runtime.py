"""Torch set-up inside a worker: threads, the compile cache, precision and deterministic seeding.

Kept apart from :mod:`voicebot.engine.worker` so that the environment is set before torch's
inductor reads it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from voicebot.config import Precision

__all__ = [
    "BFLOAT16_KERNEL_CACHE",
    "SYNTHESIS_SEED",
    "bound_kernel_caches",
    "configure_torch",
    "cpu_has_native_bfloat16",
    "inference",
    "resolve_precision",
    "seed_everything",
]


# Every request starts from the same random state, so the same request gives the same audio:
# a retry after a crash resumes exactly, and a cached phrase equals a fresh one.
SYNTHESIS_SEED = 0

_CPUINFO = Path("/proc/cpuinfo")


BFLOAT16_KERNEL_CACHE = 256
"""Kernels each of ideep's and oneDNN's caches keeps in a process computing in bfloat16 on a CPU
(their defaults: 1024 each). Every tensor shape gets kernels of its own, and sentences come in
every length: 160 sentences of varied length grew a process by 603 MiB with the defaults, by
173 MiB with 256 entries and by 52 MiB with 64 (float32: 54 MiB). One message alone needs more
than 128 entries: with 64 or 128 its first chunk came later than in float32 (24-26 ms against 21)."""


def bound_kernel_caches(dtype: str) -> None:
    """For ``dtype`` bfloat16, size ideep's and oneDNN's kernel caches to
    :data:`BFLOAT16_KERNEL_CACHE` unless the environment already sizes them.

    The caches read their size when first used: call this before the process computes anything.
    """
    if dtype == "bfloat16":
        os.environ.setdefault("LRU_CACHE_CAPACITY", str(BFLOAT16_KERNEL_CACHE))  # ideep's
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(BFLOAT16_KERNEL_CACHE))


def configure_torch(threads: int, compile_cache_dir: Path, dtype: str) -> None:
    """Point inductor's caches into ``compile_cache_dir``, set the thread counts, flush
    subnormal floats to zero and, for ``dtype`` bfloat16, bound the kernel caches.

    The FX graph and inductor caches survive restarts, so a restarted worker compiles from
    cache instead of from scratch. Runs before anything is computed (see
    :func:`bound_kernel_caches`).
    """
    compile_cache_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(compile_cache_dir))
    os.environ.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "1")
    os.environ.setdefault("TORCHINDUCTOR_AUTOGRAD_CACHE", "1")
    bound_kernel_caches(dtype)
    import torch

    torch.set_num_threads(max(1, threads))
    # Attention weights far from a frame's token underflow to subnormal floats, which x86 CPUs
    # multiply many times slower: a sentence's attention matmul took 3.5 ms instead of 0.3 ms
    # (torch profiler, 2 cores). Flushing them to zero changes nothing audible.
    torch.set_flush_denormal(True)
    # Allowed once per process, before any parallel work; a forked worker may inherit it set.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)


def seed_everything() -> None:
    """Reset torch's and numpy's random state to :data:`SYNTHESIS_SEED`."""
    import numpy as np
    import torch

    torch.manual_seed(SYNTHESIS_SEED)
    np.random.seed(SYNTHESIS_SEED)


def cpu_has_native_bfloat16(cpuinfo: Path = _CPUINFO) -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX; read on Linux only).

    Elsewhere oneDNN emulates bfloat16, slower than float32.
    """
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = line.partition(":")[2].split()
            return "avx512_bf16" in flags or "amx_bf16" in flags
    return False


def resolve_precision(precision: Precision, device: str, native_bfloat16: bool | None = None) -> str:
    """The float type a worker on ``device`` computes matrix products in: ``"float32"``,
    ``"bfloat16"`` or ``"float16"``.

    ``auto`` is float16 on a GPU, bfloat16 on a CPU that computes it natively
    (``native_bfloat16``; :func:`cpu_has_native_bfloat16` when None) and float32 on other CPUs.
    On two Zen 4 cores, with the kernel caches bounded (:data:`BFLOAT16_KERNEL_CACHE`), bfloat16
    gave one message its first chunk in 16 ms against 21, 16 at once theirs at p95 86 ms against
    110, and 110 audio seconds per second against 75, for about 120 MiB more per worker.
    """
    if precision != "auto":
        return precision
    if device.startswith("cuda"):
        return "float16"
    native = cpu_has_native_bfloat16() if native_bfloat16 is None else native_bfloat16
    return "bfloat16" if native else "float32"


def inference(device: str = "cpu", dtype: str = "float32") -> contextlib.AbstractContextManager[object]:
    """``torch.inference_mode()``, plus autocast to ``dtype`` (from :func:`resolve_precision`)
    on ``device`` unless it is float32.

    Autocast rather than ``model.to(dtype)``: tensors the model creates itself (noise, windows)
    stay valid, and numerically touchy ops (softmax, cumulative sums, layer norms, the source's
    phase and the iSTFT) stay in float32.
    """
    import torch

    stack = contextlib.ExitStack()
    stack.enter_context(torch.inference_mode())
    if dtype != "float32":
        stack.enter_context(torch.autocast(torch.device(device).type, dtype=getattr(torch, dtype)))
    return stack
