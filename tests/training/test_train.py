"""The training loop: learns, resumes exactly, stops cleanly, never trusts a bad checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from voicebot.cli import main
from voicebot.training import CheckpointError, TrainOptions, train
from voicebot.training.checkpoint import list_checkpoints, load_checkpoint, load_latest


def _options(data: Path, run: Path, config: Path, **extra: object) -> TrainOptions:
    return TrainOptions(data=data, run=run, config=config, device="cpu", progress=False, **extra)  # type: ignore[arg-type]


def _assert_same_tensors(a: object, b: object, where: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            _assert_same_tensors(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same_tensors(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_thirty_steps_lower_the_loss_and_log_to_tensorboard(trained_run: Path) -> None:
    events = EventAccumulator(str(trained_run / "logs"), size_guidance={"audio": 0, "images": 0})
    events.Reload()
    mel = [event.value for event in events.Scalars("loss/mel")]
    assert [event.step for event in events.Scalars("loss/mel")] == [5, 10, 15, 20, 25, 30]
    assert mel[-1] < mel[0] * 0.9
    tags = set(events.Tags()["scalars"])
    assert {"loss/d", "loss/g_total", "lr", "grad_norm/generator", "perf/steps_per_second", "val/mel"} <= tags
    assert {"loss/model_kl_z1", "loss/model_duration_mse"} <= tags
    assert "sample/0" in events.Tags()["audio"]
    assert {"val/duration_ratio", "val/duration_spread"} <= tags
    assert {"alignment/0", "alignment/1"} <= set(events.Tags()["images"])
    # keep_last = 2 of the checkpoints at steps 10, 20, 30; the resolved config is saved.
    assert [p.name for p in list_checkpoints(trained_run)] == ["step_000000020.pt", "step_000000030.pt"]
    assert (trained_run / "config.json").is_file()


def test_resume_is_exact_and_batch_size_may_change(
    tmp_path: Path, tiny_data: Path, tiny_config_path: Path, trained_run: Path
) -> None:
    # trained_run went 0 -> 30 in one go; its step-20 checkpoint is the "20 steps straight".
    straight = load_checkpoint(trained_run / "checkpoints" / "step_000000020.pt")
    assert train(_options(tiny_data, tmp_path / "resumed", tiny_config_path, steps=10)).step == 10
    resumed = train(_options(tiny_data, tmp_path / "resumed", tiny_config_path, steps=20))

    assert resumed.step == straight["step"] == 20
    state = load_checkpoint(resumed.checkpoint)  # type: ignore[arg-type]
    for key in ("model", "discriminator", "optim_g", "optim_d", "sched_g", "sched_d", "rng"):
        _assert_same_tensors(straight[key], state[key], key)

    smaller = train(_options(tiny_data, tmp_path / "resumed", None, steps=25, batch_size=2))  # type: ignore[arg-type]
    assert smaller.step == 25 and smaller.stopped == "done"
    assert load_latest(tmp_path / "resumed")["step"] == 25  # type: ignore[index]


def test_time_limit_saves_and_stops(tmp_path: Path, tiny_data: Path, tiny_config_path: Path) -> None:
    result = train(_options(tiny_data, tmp_path / "run", tiny_config_path, time_limit_minutes=1e-6))
    assert result.stopped == "time limit" and result.step == 1
    assert load_latest(tmp_path / "run")["step"] == 1  # type: ignore[index]


@pytest.mark.parametrize(("native", "precision"), [(True, "bf16 autocast"), (False, "float32")])
def test_cpu_trains_in_bf16_only_where_the_cpu_computes_it_natively(
    tmp_path: Path,
    tiny_data: Path,
    tiny_config_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    native: bool,
    precision: str,
) -> None:
    # Emulated bf16 would make a step slower than float32 on CPUs without AVX512-BF16 or AMX.
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    with caplog.at_level(logging.INFO, logger="voicebot.training"):
        result = train(_options(tiny_data, tmp_path / "run", tiny_config_path, time_limit_minutes=1e-6))
    assert result.step == 1
    assert f"precision: {precision}" in caplog.text


def test_corrupt_newest_checkpoint_falls_back_with_a_warning(
    trained_run: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = tmp_path / "copy"
    (run / "checkpoints").mkdir(parents=True)
    for path in list_checkpoints(trained_run):
        (run / "checkpoints" / path.name).write_bytes(path.read_bytes())
    newest = list_checkpoints(run)[-1]
    newest.write_bytes(newest.read_bytes()[:1000])
    with caplog.at_level(logging.WARNING):
        state = load_latest(run)
    assert state is not None and state["step"] == 20
    assert "step_000000030.pt" in caplog.text
    for path in list_checkpoints(run):
        path.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="none of the 2 checkpoints"):
        load_latest(run)


def test_cli_errors_are_readable(
    tmp_path: Path,
    tiny_data: Path,
    tiny_config_path: Path,
    trained_run: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        main(["train", "--data", str(tmp_path / "nope"), "--run", str(tmp_path / "r"), "--device", "cpu"])
        == 2
    )
    assert "does not exist: run `voicebot data prepare` first" in capsys.readouterr().err

    if not torch.cuda.is_available():
        assert (
            main(["train", "--data", str(tiny_data), "--run", str(tmp_path / "r"), "--device", "cuda"]) == 2
        )
        assert "no GPU" in capsys.readouterr().err

    other = tmp_path / "other.toml"
    other.write_text(tiny_config_path.read_text().replace("hidden_channels = 32", "hidden_channels = 16"))
    code = main(["train", "--data", str(tiny_data), "--run", str(trained_run), "--config", str(other), "-q"])
    assert code == 2
    assert "was started with another [model]" in capsys.readouterr().err


def test_mel_only_warm_up_leaves_the_discriminators_untrained_until_its_end(
    tmp_path: Path, tiny_data: Path, tiny_config_path: Path
) -> None:
    config = tmp_path / "warm.toml"
    text = tiny_config_path.read_text(encoding="utf-8")
    config.write_text(text.replace("[train]\n", "[train]\nadversarial_start = 10\n"), encoding="utf-8")
    run = tmp_path / "run"
    initial = train(_options(tiny_data, run, config, steps=10))
    warm = load_checkpoint(initial.checkpoint)  # type: ignore[arg-type]
    assert warm["optim_d"]["state"] == {}  # the discriminators never stepped

    train(_options(tiny_data, run, config, steps=15))
    events = EventAccumulator(str(run / "logs"))
    events.Reload()
    assert [event.step for event in events.Scalars("loss/d")] == [15]
    assert next(event.step for event in events.Scalars("loss/mel")) == 5  # logged during the warm-up


def test_a_diverging_run_stops_with_advice_and_keeps_its_last_good_checkpoint(
    tmp_path: Path, tiny_data: Path, tiny_config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    assert train(_options(tiny_data, run, tiny_config_path, steps=10)).step == 10
    wild = tmp_path / "wild.toml"
    wild.write_text(tiny_config_path.read_text().replace("learning_rate = 2e-3", "learning_rate = 1e30"))

    code = main(["train", "--data", str(tiny_data), "--run", str(run), "--config", str(wild), "-q"])

    assert code == 2
    assert "lower train.learning_rate" in capsys.readouterr().err
    assert [p.name for p in list_checkpoints(run)] == ["step_000000010.pt"]
    assert load_latest(run)["step"] == 10  # type: ignore[index]
