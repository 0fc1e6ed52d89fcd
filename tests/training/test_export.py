"""Export to a voice file, and fine-tuning from one with other symbols and speakers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from voicebot.cli import main
from voicebot.model import ET2Model
from voicebot.text import SYMBOL_TABLE_VERSION, SYMBOLS
from voicebot.training import RunConfig, TrainOptions, prepare_dataset, train
from voicebot.training.checkpoint import load_latest
from voicebot.training.finetune import init_from_voice
from voicebot.voices import NeuralVoice, VoiceMeta, read_voice_file, write_voice_file

from .conftest import make_ljspeech

TEXT = "今日はいい天気ですね。明日も晴れるでしょう。"


def _checkpoint_voice(run: Path, meta: VoiceMeta) -> NeuralVoice:
    """A voice speaking with the training model of the run's newest checkpoint."""
    state = load_latest(run)
    assert state is not None
    config = RunConfig.model_validate_json(state["config"])
    model = ET2Model(config.model, len(state["symbols"]), len(state["speakers"]), training=True)
    model.load_state_dict(state["model"])
    pitch = state["dataset"]["pitch"]
    model.set_pitch_stats(torch.tensor([pitch[s] for s in state["speakers"]]))
    return NeuralVoice("checkpoint", model.eval(), meta)


def _speak(voice: NeuralVoice, speaker: str) -> np.ndarray:
    torch.manual_seed(0)
    return voice.synthesize(TEXT, speaker=speaker)


def test_export_speaks_exactly_like_the_checkpoint(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["export", str(trained_run), "-o", str(tmp_path), "--name", "tiny", "--license", "CC0-1.0"])
    assert code == 0 and "wrote" in capsys.readouterr().out
    path = tmp_path / "tiny.safetensors"
    state, meta = read_voice_file(path)
    assert meta.speakers == ("alpha", "kumo") and meta.display_name == "tiny"
    assert meta.license == "CC0-1.0"
    assert "30 steps" in meta.provenance and "alpha (8 train utterances)" in meta.provenance
    assert not any(key.startswith(("posterior", "aligner")) for key in state)
    assert meta.config.source == "harmonic" and set(meta.pitch) == {"alpha", "kumo"}
    assert all(4.0 < mean < 6.0 for mean, _ in meta.pitch.values())  # the fixture speaks at 100-180 Hz

    exported = NeuralVoice.load(path)
    for speaker in meta.speakers:
        audio = _speak(exported, speaker)
        assert audio.size > 1000
        np.testing.assert_array_equal(audio, _speak(_checkpoint_voice(trained_run, meta), speaker))


def test_fp16_export_is_half_the_size_and_close(trained_run: Path, tmp_path: Path) -> None:
    assert main(["export", str(trained_run), "-o", str(tmp_path / "a.safetensors"), "--name", "a"]) == 0
    # A path ending in "/" is a folder, made if missing: not a file called "new.safetensors".
    assert main(["export", str(trained_run), "-o", f"{tmp_path}/new/", "--name", "c"]) == 0
    assert (tmp_path / "new" / "c.safetensors").is_file()
    assert (
        main(["export", str(trained_run), "-o", str(tmp_path / "b.safetensors"), "--name", "b", "--fp16"])
        == 0
    )
    full, half = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    assert half.stat().st_size < 0.6 * full.stat().st_size
    a, b = read_voice_file(full)[0], read_voice_file(half)[0]
    assert all(torch.allclose(a[k], b[k], atol=1e-2, rtol=1e-2) for k in a)


def _reordered_voice(run: Path, folder: Path) -> tuple[Path, dict[str, torch.Tensor], VoiceMeta]:
    """The run exported, then rewritten with a symbol table lacking "v" in reverse order and
    speakers (kumo, alpha): rows must be matched by name, not by index."""
    path = folder / "base.safetensors"
    assert main(["export", str(run), "-o", str(path), "--name", "base"]) == 0
    state, meta = read_voice_file(path)
    order = [0, *reversed([i for i, s in enumerate(meta.symbols) if i and s != "v"])]
    emb, spk = ET2Model.symbol_embedding_keys()[0], ET2Model.speaker_embedding_keys()[0]
    state = {**state, emb: state[emb][order], spk: state[spk][[1, 0]]}
    meta = meta.model_copy(
        update={
            "symbols": tuple(meta.symbols[i] for i in order),
            "speakers": ("kumo", "alpha"),
            "default_speaker": "kumo",
        }
    )
    write_voice_file(folder / "other.safetensors", state, meta)
    return folder / "other.safetensors", state, meta


def test_init_from_copies_rows_by_name(trained_run: Path, tmp_path: Path, tiny_config: RunConfig) -> None:
    _, state, meta = _reordered_voice(trained_run, tmp_path)
    symbols, speakers = SYMBOLS, ("kumo", "newcomer")
    model = ET2Model(tiny_config.model, len(symbols), len(speakers), training=True)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}

    summary = init_from_voice(model, state, meta, symbols, speakers, Path("other.safetensors"))

    emb, spk = ET2Model.symbol_embedding_keys()[0], ET2Model.speaker_embedding_keys()[0]
    weights = model.state_dict()
    for name in ("a", "k", "N", "^"):
        assert torch.equal(weights[emb][symbols.index(name)], state[emb][meta.symbols.index(name)])
    assert torch.equal(weights[emb][symbols.index("v")], fresh[emb][symbols.index("v")])
    assert torch.equal(weights[spk][0], state[spk][0])  # kumo
    assert torch.equal(weights[spk][1], fresh[spk][1])  # newcomer keeps its fresh row
    assert summary.symbols_new == ("v",) and summary.speakers_new == ("newcomer",)
    posterior = next(k for k in weights if k not in state)
    assert torch.equal(weights[posterior], fresh[posterior])


def test_train_init_from_prints_the_summary(
    trained_run: Path, tmp_path: Path, tiny_config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    voice, _, _ = _reordered_voice(trained_run, tmp_path)
    data = tmp_path / "data"
    sources = [
        ("kumo", make_ljspeech(tmp_path / "kumo", 4)),
        ("newcomer", make_ljspeech(tmp_path / "new", 4)),
    ]
    prepare_dataset(sources, data, 16000, val_per_speaker=1, progress=False, hop_length=128)
    options = TrainOptions(
        data=data,
        run=tmp_path / "ft",
        config=tiny_config_path,
        init_from=voice,
        steps=1,
        device="cpu",
        progress=False,
    )
    with caplog.at_level(logging.INFO):
        assert train(options).step == 1
    assert "new (fresh rows): v" in caplog.text
    assert "speakers: matched kumo; new (fresh rows): newcomer" in caplog.text
    assert "discriminators: start from scratch" in caplog.text


def test_export_to_an_unwritable_place_is_one_readable_line(
    tmp_path: Path, trained_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / "a-file" / "voice.safetensors"
    assert main(["export", str(trained_run), "-o", str(target), "--name", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("voicebot export: error: ") and "a-file" in err and "Traceback" not in err


def test_a_fine_tune_leaves_the_voice_as_it_was_until_settled_and_judged_by_the_discriminators(
    trained_run: Path, tmp_path: Path, tiny_data: Path, tiny_config_path: Path
) -> None:
    assert main(["export", str(trained_run), "-o", str(tmp_path / "v.safetensors"), "--name", "v"]) == 0
    voice, _ = read_voice_file(tmp_path / "v.safetensors")
    config = tmp_path / "ft.toml"
    text = tiny_config_path.read_text(encoding="utf-8")
    settings = "adversarial_start = 4\ndiscriminator_warmup = 2\nwarmup_trains_voice = false\n"
    config.write_text(text.replace("[train]\n", "[train]\n" + settings), "utf-8")

    def run_to(steps: int) -> dict[str, Any]:
        options = TrainOptions(
            data=tiny_data,
            run=tmp_path / "ft",
            config=config,
            init_from=tmp_path / "v.safetensors",
            steps=steps,
            device="cpu",
            progress=False,
        )
        train(options)
        state = load_latest(tmp_path / "ft")
        assert state is not None
        return state

    def voice_kept(state: dict[str, Any]) -> bool:
        return all(torch.equal(state["model"][key], value) for key, value in voice.items())

    settled = run_to(4)
    assert voice_kept(settled) and settled["optim_d"]["state"] == {}
    # Only the parts the voice file lacks have stepped (AdamW keeps state for those alone).
    training_only = [key for key in settled["model"] if key not in voice]
    assert len(settled["optim_g"]["state"]) == len(training_only) > 0
    judged = run_to(6)
    assert voice_kept(judged) and judged["optim_d"]["state"] != {}
    assert not voice_kept(run_to(8))


def test_a_voice_from_before_the_harmonic_source_gains_it_and_keeps_its_weights(
    tmp_path: Path,
    tiny_data: Path,
    tiny_config: RunConfig,
    tiny_config_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old_config = tiny_config.model.model_copy(update={"source": "none"})
    torch.manual_seed(5)
    old = ET2Model(old_config, len(SYMBOLS), 2)
    meta = VoiceMeta(
        display_name="old",
        config=old_config,
        symbols=SYMBOLS,
        symbol_table_version=SYMBOL_TABLE_VERSION,
        speakers=("alpha", "kumo"),
        default_speaker="alpha",
        license="CC0-1.0",
        provenance="random",
    )
    write_voice_file(tmp_path / "old.safetensors", old.state_dict(), meta)
    assert NeuralVoice.load(tmp_path / "old.safetensors").synthesize(TEXT).size > 0  # old files still speak
    config = tmp_path / "upgrade.toml"
    text = tiny_config_path.read_text(encoding="utf-8")
    text = text.replace('preset = "small"\n', 'preset = "small"\nsource = "harmonic"\n')
    config.write_text(
        text.replace("[train]\n", "[train]\nadversarial_start = 10\nwarmup_trains_voice = false\n")
    )
    options = TrainOptions(
        data=tiny_data,
        run=tmp_path / "up",
        config=config,
        init_from=tmp_path / "old.safetensors",
        steps=2,
        device="cpu",
        progress=False,
    )
    with caplog.at_level(logging.INFO):
        train(options)
    assert "with source from" in caplog.text
    fresh = next(line for line in caplog.text.splitlines() if "fresh parts:" in line)
    for part in ("pitch_predictor", "synthesizer.decoder.head.filter", "synthesizer.decoder.pitch_proj"):
        assert part in fresh
    state = load_latest(tmp_path / "up")
    assert state is not None
    weights = state["model"]
    assert all(torch.equal(weights[key], value) for key, value in old.state_dict().items())  # kept
    start = ET2Model(tiny_config.model, len(SYMBOLS), 2, training=True).state_dict()
    assert weights["pitch_predictor.out.weight"].shape == start["pitch_predictor.out.weight"].shape
    assert not torch.equal(
        weights["synthesizer.decoder.head.filter.weight"],
        torch.zeros_like(start["synthesizer.decoder.head.filter.weight"]),
    )
