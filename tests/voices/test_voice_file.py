"""Writing and reading voice files: what goes in comes out, and bad weights are never written."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from voicebot.model import ET2Model
from voicebot.voices import (
    NeuralVoice,
    VoiceFileCorrupt,
    VoiceFileIncompatible,
    VoiceMeta,
    read_voice_file,
    write_voice_file,
)


def test_round_trip_float32_is_exact(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    path = tmp_path / "v.safetensors"
    write_voice_file(path, tiny_voice_state, tiny_voice_meta)
    state, meta = read_voice_file(path)
    assert meta == tiny_voice_meta
    assert state.keys() == tiny_voice_state.keys()
    for name, tensor in tiny_voice_state.items():
        assert state[name].dtype == tensor.dtype
        assert torch.equal(state[name], tensor), name


def test_round_trip_fp16_halves_the_file_and_reads_back_float32(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    full, half = tmp_path / "full.safetensors", tmp_path / "half.safetensors"
    write_voice_file(full, tiny_voice_state, tiny_voice_meta)
    write_voice_file(half, tiny_voice_state, tiny_voice_meta, fp16=True)
    assert half.stat().st_size < 0.6 * full.stat().st_size
    state, meta = read_voice_file(half)
    assert meta == tiny_voice_meta
    for name, tensor in tiny_voice_state.items():
        assert state[name].dtype == torch.float32
        assert torch.equal(state[name], tensor.half().float()), name


def test_overwrite_replaces_atomically_and_leaves_no_temporary_files(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    path = tmp_path / "v.safetensors"
    write_voice_file(path, tiny_voice_state, tiny_voice_meta, fp16=True)
    renamed = tiny_voice_meta.model_copy(update={"display_name": "second version"})
    write_voice_file(path, tiny_voice_state, renamed)
    assert [p.name for p in tmp_path.iterdir()] == ["v.safetensors"]
    assert read_voice_file(path)[1].display_name == "second version"


def test_non_finite_weights_are_never_written(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    name = next(n for n, t in tiny_voice_state.items() if t.is_floating_point())
    state = {**tiny_voice_state, name: torch.full_like(tiny_voice_state[name], float("nan"))}
    with pytest.raises(VoiceFileCorrupt, match=f"tensor '{name}' has NaN"):
        write_voice_file(tmp_path / "v.safetensors", state, tiny_voice_meta)
    assert list(tmp_path.iterdir()) == []


def test_fp16_overflow_is_refused_with_a_hint(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    name = next(n for n, t in tiny_voice_state.items() if t.is_floating_point())
    state = {**tiny_voice_state, name: torch.full_like(tiny_voice_state[name], 1e6)}
    with pytest.raises(VoiceFileCorrupt, match="write it without fp16"):
        write_voice_file(tmp_path / "v.safetensors", state, tiny_voice_meta, fp16=True)
    write_voice_file(tmp_path / "v.safetensors", state, tiny_voice_meta)


def test_state_dict_that_does_not_fit_the_config_is_not_written(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    three_speakers = tiny_voice_meta.model_copy(update={"speakers": ("alpha", "kumo", "third")})
    with pytest.raises(VoiceFileIncompatible, match=r"tensor 'speaker_embedding\.weight' has shape"):
        write_voice_file(tmp_path / "v.safetensors", tiny_voice_state, three_speakers)
    assert list(tmp_path.iterdir()) == []


def test_older_table_lacking_a_symbol_is_accepted_and_still_speaks(
    tmp_path: Path,
    tiny_voice_state: dict[str, torch.Tensor],
    tiny_voice_meta: VoiceMeta,
    caplog: pytest.LogCaptureFixture,
) -> None:
    dropped = tiny_voice_meta.symbols.index("v")
    symbols = tuple(s for s in tiny_voice_meta.symbols if s != "v")
    (key,) = ET2Model.symbol_embedding_keys()
    rows = [i for i in range(len(tiny_voice_meta.symbols)) if i != dropped]
    state = {**tiny_voice_state, key: tiny_voice_state[key][rows]}
    path = tmp_path / "older.safetensors"
    write_voice_file(path, state, tiny_voice_meta.model_copy(update={"symbols": symbols}))
    with caplog.at_level(logging.WARNING, logger="voicebot.voices"):
        voice = NeuralVoice.load(path)
    assert "lacks 'v'" in caplog.text
    assert voice.synthesize("ヴァイオリン").size > 0
