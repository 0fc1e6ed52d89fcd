"""Pitch in the data: extraction accuracy, storage beside the audio, resuming, per-speaker statistics."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from voicebot.bench.pitch import compare_pitch
from voicebot.training import DataError, TrainOptions, prepare_dataset, train
from voicebot.training.pitch import continuous_log_f0, extract_f0, pitch_path, read_f0

from .conftest import make_ljspeech

RATE, HOP = 16000, 128


def _sweep(seconds: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """A voiced glide from 120 to 300 Hz (exponential), and its F0 at each frame start."""
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = 120.0 * (300.0 / 120.0) ** (t / seconds)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    audio = sum(np.sin(k * phase) / k for k in range(1, 8)) * 0.3
    return audio.astype(np.float32), f0[::HOP][: len(audio) // HOP]


def test_extraction_recovers_a_sweep_within_two_percent() -> None:
    audio, truth = _sweep()
    silence = np.zeros(RATE // 2, dtype=np.float32)
    f0 = extract_f0(np.concatenate([audio, silence]), RATE, HOP)
    assert len(f0) == (len(audio) + len(silence)) // HOP
    voiced = f0[: len(truth)] > 0
    assert voiced[5:-5].all()  # every frame of the glide but its edges
    error = np.abs(f0[: len(truth)][voiced] / truth[voiced] - 1)
    assert error.max() < 0.02
    assert (f0[len(truth) + 10 :] == 0).all()  # silence is unvoiced


def test_continuous_log_f0_bridges_unvoiced_frames() -> None:
    f0 = np.array([0, 100, 0, 0, 400, 0], dtype=np.float32)
    log_f0 = continuous_log_f0(f0, fallback=5.0)
    assert np.allclose(np.exp(log_f0), [100, 100, 158.74, 251.98, 400, 400], rtol=1e-3)
    assert np.allclose(continuous_log_f0(np.zeros(3, np.float32), 5.0), 5.0)


def test_prepare_stores_pitch_and_statistics(tiny_data: Path) -> None:
    info = json.loads((tiny_data / "dataset.json").read_text(encoding="utf-8"))
    assert info["hop_length"] == HOP
    for speaker in ("alpha", "kumo"):
        mean, std = info["pitch"][speaker]
        assert math.log(120) < mean < math.log(190) and 0 < std < 0.5  # the fixture speaks at 100-180 Hz
    wav = next((tiny_data / "wavs" / "alpha").glob("*.wav"))
    f0 = read_f0(tiny_data / pitch_path(str(wav.relative_to(tiny_data))))
    assert f0.dtype == np.float32 and (f0 > 0).mean() > 0.5


def test_a_folder_prepared_without_pitch_gains_it_and_keeps_its_audio(tmp_path: Path) -> None:
    sources = [("alpha", make_ljspeech(tmp_path / "alpha", 4))]
    out = tmp_path / "out"
    prepare_dataset(sources, out, RATE, val_per_speaker=1, progress=False, hop_length=HOP)
    # What a folder prepared before pitch existed looks like.
    for path in (out / "pitch").rglob("*.npy"):
        path.unlink()
    info = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
    del info["pitch"], info["hop_length"]
    (out / "dataset.json").write_text(json.dumps(info), encoding="utf-8")
    audio = {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")}

    result = prepare_dataset(sources, out, RATE, val_per_speaker=1, progress=False, hop_length=HOP)

    assert result.written == 4 and not result.problems
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.wav")} == audio  # audio untouched
    assert len(list((out / "pitch").rglob("*.npy"))) == 4
    assert set(result.info.pitch) == {"alpha"}
    again = prepare_dataset(sources, out, RATE, val_per_speaker=1, progress=False, hop_length=HOP)
    assert again.written == 0


def test_a_damaged_pitch_file_is_extracted_again(tmp_path: Path) -> None:
    sources = [("alpha", make_ljspeech(tmp_path / "alpha", 3))]
    out = tmp_path / "out"
    prepare_dataset(sources, out, RATE, val_per_speaker=1, progress=False, hop_length=HOP)
    victim = next((out / "pitch").rglob("*.npy"))
    expected = np.load(victim)
    victim.write_bytes(b"\x93NUMPY garbage")
    result = prepare_dataset(sources, out, RATE, val_per_speaker=1, progress=False, hop_length=HOP)
    assert result.written == 1 and np.array_equal(np.load(victim), expected)


def test_training_a_harmonic_model_on_data_without_pitch_says_what_to_run(
    tiny_data: Path, tiny_config_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("train.tsv", "val.tsv"):
        (data / name).write_bytes((tiny_data / name).read_bytes())
    info = json.loads((tiny_data / "dataset.json").read_text(encoding="utf-8"))
    info["pitch"] = {}
    (data / "dataset.json").write_text(json.dumps(info), encoding="utf-8")
    options = TrainOptions(
        data=data, run=tmp_path / "run", config=tiny_config_path, device="cpu", progress=False
    )
    with pytest.raises(DataError, match=r"no pitch.*voicebot data prepare --hop-length 128"):
        train(options)


def _tone(f0: float, seconds: float, rate: int = 24000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * f0 * t
    audio = sum(np.sin(k * phase) / k for k in range(1, 8)) * 0.3
    gaps = (np.sin(2 * np.pi * 1.5 * t * 2.0 / seconds) > -0.6).astype(np.float32)  # pauses, stretched along
    return (audio * gaps).astype(np.float32)


def test_pitch_comparison_measures_cents_through_a_tempo_change() -> None:
    reference = _tone(200.0, 2.0)
    same = compare_pitch(reference, 24000, reference, 24000)
    assert same.rmse_cents < 1.0 and same.voicing_error < 0.01
    # A semitone higher, 10% slower, at another sample rate: about 100 cents off.
    higher = _tone(200.0 * 2 ** (1 / 12), 2.2, rate=48000)
    score = compare_pitch(higher, 48000, reference, 24000)
    assert 90 < score.rmse_cents < 110 and score.voicing_error < 0.1
