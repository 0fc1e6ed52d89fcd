"""What the workers compute in: VOICEBOT_PRECISION and the hardware it resolves against."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.engine.conftest import FAST, audio, collect, tiny_voice_settings
from voicebot.bench.quality import mel_cepstral_distortion
from voicebot.engine import Engine
from voicebot.engine.runtime import (
    BFLOAT16_KERNEL_CACHE,
    cpu_has_native_bfloat16,
    inference,
    resolve_precision,
)
from voicebot.voices import NeuralVoice

ROOT = Path(__file__).resolve().parents[2]
TEXT = "こんにちは。今日はいい天気ですね、散歩に行きましょう。"


def _cpuinfo(tmp_path: Path, flags: str) -> Path:
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: test\nflags\t\t: fpu sse2 avx2 {flags}\n\n")
    return path


@pytest.mark.parametrize(
    ("flags", "native"),
    [
        ("avx512f avx512bw avx512_bf16", True),  # AMD Zen 4, Intel Cooper Lake
        ("avx512f amx_tile amx_bf16", True),  # Intel Sapphire Rapids
        ("avx512f avx512_vnni", False),  # Cascade Lake: bfloat16 would be emulated, slower
        ("fma", False),
    ],
)
def test_bfloat16_counts_as_native_only_on_cpus_that_compute_it(
    tmp_path: Path, flags: str, native: bool
) -> None:
    assert cpu_has_native_bfloat16(_cpuinfo(tmp_path, flags)) is native


def test_cpu_flags_that_cannot_be_read_mean_no_bfloat16(tmp_path: Path) -> None:
    assert not cpu_has_native_bfloat16(tmp_path / "absent")  # not Linux


def test_auto_is_float16_on_a_gpu_bfloat16_on_a_cpu_that_computes_it_and_a_choice_is_kept() -> None:
    assert resolve_precision("auto", "cuda") == resolve_precision("auto", "cuda:1") == "float16"
    assert resolve_precision("auto", "cpu", native_bfloat16=True) == "bfloat16"
    assert resolve_precision("auto", "cpu", native_bfloat16=False) == "float32"  # emulated: slower
    assert resolve_precision("bfloat16", "cpu", native_bfloat16=False) == "bfloat16"
    assert resolve_precision("float32", "cuda") == "float32"


_KERNEL_CACHES = ("LRU_CACHE_CAPACITY", "ONEDNN_PRIMITIVE_CACHE_CAPACITY")


def _kernel_cache_sizes(tmp_path: Path, dtype: str, host: dict[str, str]) -> list[str]:
    """The two cache sizes a worker's environment holds after ``configure_torch`` for ``dtype``,
    the host having set ``host``; in a child process, as a worker is one."""
    probe = (
        "import os, sys; from pathlib import Path; from voicebot.engine.runtime import configure_torch; "
        f"configure_torch(1, Path(sys.argv[1]), {dtype!r}); "
        "print(os.environ.get('LRU_CACHE_CAPACITY'), os.environ.get('ONEDNN_PRIMITIVE_CACHE_CAPACITY'))"
    )
    env = {k: v for k, v in os.environ.items() if k not in _KERNEL_CACHES} | host
    return subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], env=env, capture_output=True, text=True, check=True
    ).stdout.split()


def test_a_bfloat16_worker_sizes_its_kernel_caches_unless_the_host_did(tmp_path: Path) -> None:
    assert _kernel_cache_sizes(tmp_path, "bfloat16", {}) == [str(BFLOAT16_KERNEL_CACHE)] * 2
    assert _kernel_cache_sizes(tmp_path, "bfloat16", dict.fromkeys(_KERNEL_CACHES, "512")) == ["512"] * 2


def test_a_float32_worker_leaves_the_kernel_caches_alone(tmp_path: Path) -> None:
    assert _kernel_cache_sizes(tmp_path, "float32", {}) == ["None", "None"]


def test_the_default_voice_in_bfloat16_says_the_same_as_in_float32() -> None:
    voice = NeuralVoice.load(ROOT / "models" / "default.safetensors")

    def speak(dtype: str, text: str = TEXT) -> np.ndarray:
        torch.manual_seed(0)
        with inference("cpu", dtype):
            return voice.synthesize(text)

    full, low = speak("float32"), speak("bfloat16")
    other = speak("float32", "こんばんは。明日は雨が降るそうです、傘を持って行きましょう。")
    assert abs(low.size / full.size - 1) < 0.03
    # Durations may round to another frame, which redraws the noise: the same as another seed.
    # Another sentence is far away.
    assert mel_cepstral_distortion(low, voice.sample_rate, full, voice.sample_rate) < 2.5
    assert mel_cepstral_distortion(other, voice.sample_rate, full, voice.sample_rate) > 4.5


@pytest.mark.asyncio
async def test_an_engine_set_to_bfloat16_says_so_and_speaks(
    tmp_path: Path, tiny_voice_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="voicebot.engine")
    engine = Engine(tiny_voice_settings(tmp_path, tiny_voice_file, workers=1, precision="bfloat16"), FAST)
    await engine.start()
    try:
        sound = audio(await collect(engine.synthesize(TEXT, voice="tiny")))
    finally:
        await engine.close()
    assert "worker 0 ready" in caplog.text and "bfloat16" in caplog.text
    assert sound.size > 24000 and np.isfinite(sound).all() and sound.std() > 1e-3  # over 1 s, not silent
