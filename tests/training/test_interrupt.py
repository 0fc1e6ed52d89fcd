"""Ctrl-C and SIGTERM: a running training saves a checkpoint and exits cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from voicebot.training import TrainOptions, train
from voicebot.training.checkpoint import list_checkpoints, load_latest


@pytest.fixture
def frequent_checkpoints(tmp_path: Path, tiny_config_path: Path) -> Path:
    """The tiny config with a checkpoint every 2 steps, so a run shows progress quickly."""
    config = tmp_path / "often.toml"
    config.write_text(
        tiny_config_path.read_text().replace("checkpoint_interval = 10", "checkpoint_interval = 2")
    )
    return config


def _wait_for_checkpoint(run: Path, alive: threading.Event | subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while not list_checkpoints(run) and time.monotonic() < deadline:
        if isinstance(alive, subprocess.Popen) and alive.poll() is not None:
            return
        time.sleep(0.1)


def test_ctrl_c_on_the_command_saves_and_exits_130(
    tmp_path: Path, tiny_data: Path, frequent_checkpoints: Path
) -> None:
    run = tmp_path / "run"
    command = [sys.executable, "-m", "voicebot", "train", "--data", str(tiny_data), "--run", str(run)]
    command += ["--config", str(frequent_checkpoints), "--device", "cpu", "--steps", "100000", "-q"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait_for_checkpoint(run, process)
        assert process.poll() is None, process.communicate()[1]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    state = load_latest(run)
    assert state is not None and state["step"] >= 2
    assert f"step {state['step']} (SIGINT" in out


def test_sigterm_saves_the_current_step(tmp_path: Path, tiny_data: Path, frequent_checkpoints: Path) -> None:
    run = tmp_path / "run"

    def terminate_when_training() -> None:
        _wait_for_checkpoint(run, threading.Event())
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_when_training)
    killer.start()
    try:
        result = train(
            TrainOptions(
                data=tiny_data,
                run=run,
                config=frequent_checkpoints,
                device="cpu",
                steps=100000,
                progress=False,
            )
        )
    finally:
        killer.join()
    assert result.stopped == "SIGTERM" and result.step >= 2
    assert load_latest(run)["step"] == result.step  # type: ignore[index]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
