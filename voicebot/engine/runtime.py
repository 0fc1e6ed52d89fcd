"""Torch set-up inside a worker: threads, the compile cache and deterministic seeding.

Kept apart from :mod:`voicebot.engine.worker` so that the environment is set before torch's
inductor reads it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["SYNTHESIS_SEED", "configure_torch", "inference", "seed_everything"]

# Every request starts from the same random state, so the same request gives the same audio:
# a retry after a crash resumes exactly, and a cached phrase equals a fresh one.
SYNTHESIS_SEED = 0


def configure_torch(threads: int, compile_cache_dir: Path) -> None:
    """Point inductor's caches into ``compile_cache_dir``, set the thread counts and flush
    subnormal floats to zero.

    The FX graph and inductor caches survive restarts, so a restarted worker compiles from
    cache instead of from scratch.
    """
    compile_cache_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(compile_cache_dir))
    os.environ.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "1")
    os.environ.setdefault("TORCHINDUCTOR_AUTOGRAD_CACHE", "1")
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


def inference(half: bool = False) -> contextlib.AbstractContextManager[object]:
    """``torch.inference_mode()``, plus float16 autocast on CUDA when ``half``.

    Autocast rather than ``model.half()``: tensors the model creates itself (noise, windows)
    stay valid, and numerically touchy ops (softmax, cumulative sums) stay in float32.
    """
    import torch

    stack = contextlib.ExitStack()
    stack.enter_context(torch.inference_mode())
    if half:
        stack.enter_context(torch.autocast("cuda", dtype=torch.float16))
    return stack
