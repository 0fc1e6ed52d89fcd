"""``data prepare``: clean audio, phonemes, fixed split, problems reported by line, resumable."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voicebot.cli import main
from voicebot.training import DataError, prepare_dataset
from voicebot.training.manifest import read_manifest
from voicebot.training.sources import parse_source_arg

from .conftest import SENTENCES, make_ljspeech, speechlike

RATE = 16000


def make_jsut(folder: Path) -> Path:
    """A JSUT-style folder: five good lines (one a stereo mp3), one too short, one unreadable audio,
    one malformed line."""
    (folder / "wavs").mkdir(parents=True)
    lines = []
    for i in range(4):
        sf.write(folder / "wavs" / f"BASIC{i}.wav", speechlike(0.8, 48000, 10 + i), 48000)
        lines.append(f"BASIC{i}:{SENTENCES[i]}")
    stereo = np.stack([speechlike(0.8, 44100, 20), speechlike(0.8, 44100, 21)], axis=1)
    sf.write(folder / "wavs" / "STEREO.mp3", stereo, 44100, format="MP3")
    lines.append(f"STEREO:{SENTENCES[4]}")
    sf.write(folder / "wavs" / "SHORT.wav", speechlike(0.05, 48000, 99), 48000)
    (folder / "wavs" / "BROKEN.wav").write_bytes(b"RIFF but not really a wav file")
    lines += [f"SHORT:{SENTENCES[5]}", f"BROKEN:{SENTENCES[6]}", "no separator on this line"]
    (folder / "transcript_utf8.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def sources(tmp_path: Path) -> list[tuple[str, Path]]:
    lj = make_ljspeech(tmp_path / "alpha", 6)
    with (lj / "metadata.csv").open("a", encoding="utf-8") as handle:
        handle.write("missing|この行の音声はありません。\nutt000b|\n")
    return [("alpha", lj), ("jsut", make_jsut(tmp_path / "jsut"))]


def test_prepare_writes_clean_audio_split_and_info(sources: list[tuple[str, Path]], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = prepare_dataset(sources, out, RATE, val_per_speaker=1, progress=False)

    assert (result.train, result.val) == (9, 2)
    info = json.loads((out / "dataset.json").read_text(encoding="utf-8"))
    assert info["speakers"] == ["alpha", "jsut"]
    assert info["sample_rate"] == RATE and info["symbol_table_version"] >= 1
    assert info["counts"] == {"alpha": {"train": 5, "val": 1}, "jsut": {"train": 4, "val": 1}}
    assert info["total_seconds"] > 5

    train, val = read_manifest(out / "train.tsv"), read_manifest(out / "val.tsv")
    assert not {u.audio for u in train} & {u.audio for u in val}
    for utt in train + val:
        audio, rate = sf.read(out / utt.audio, dtype="float32")
        assert sf.info(out / utt.audio).subtype == "PCM_16"
        assert rate == RATE and audio.ndim == 1 and len(audio) == utt.samples
        assert np.abs(audio).max() <= 0.9
        assert "k" in utt.phonemes or "a" in utt.phonemes
    assert "wavs/jsut/STEREO.wav" in {u.audio for u in train + val}  # stereo mp3 -> mono wav
    # 0.3 s of near-silence each side of the tone is trimmed to a short margin.
    first = next(u for u in train + val if u.audio.endswith("utt000.wav"))
    assert first.samples / RATE < 0.5 + 0.2


def test_problems_are_reported_with_file_and_line(sources: list[tuple[str, Path]], tmp_path: Path) -> None:
    result = prepare_dataset(sources, tmp_path / "out", RATE, val_per_speaker=1, progress=False)
    reported = {(p.file.name, p.line): p.reason for p in result.problems}
    assert "no audio" in reported[("metadata.csv", 7)]
    assert "empty text" in reported[("metadata.csv", 8)]
    assert "outside" in reported[("transcript_utf8.txt", 6)]  # too short after trimming
    assert "cannot decode" in reported[("transcript_utf8.txt", 7)]
    assert "expected 'id:text'" in reported[("transcript_utf8.txt", 8)]
    assert len(result.problems) == 5
    listed = (tmp_path / "out" / "problems.txt").read_text(encoding="utf-8")
    assert "transcript_utf8.txt:7:" in listed


def test_rerun_skips_finished_files_and_gives_the_same_dataset(
    sources: list[tuple[str, Path]], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = prepare_dataset(sources, out, RATE, val_per_speaker=1, progress=False)
    snapshot = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob("*.wav")}
    manifests = [(out / n).read_bytes() for n in ("train.tsv", "val.tsv", "dataset.json")]

    second = prepare_dataset(sources, out, RATE, val_per_speaker=1, progress=False)

    assert first.written == 11 and second.written == 0
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in out.rglob("*.wav")} == snapshot
    assert [(out / n).read_bytes() for n in ("train.tsv", "val.tsv", "dataset.json")] == manifests


def test_validation_set_stays_fixed_when_lines_are_added(tmp_path: Path) -> None:
    folder = make_ljspeech(tmp_path / "alpha", 8)
    prepare_dataset([("a", folder)], tmp_path / "o1", RATE, 2, progress=False)
    sf.write(folder / "wavs" / "zz.wav", speechlike(0.6, 22050, 50), 22050)
    with (folder / "metadata.csv").open("a", encoding="utf-8") as handle:
        handle.write("zz|追加の文です。\n")
    prepare_dataset([("a", folder)], tmp_path / "o2", RATE, 2, progress=False)

    before = {u.audio for u in read_manifest(tmp_path / "o1" / "val.tsv")}
    after = {u.audio for u in read_manifest(tmp_path / "o2" / "val.tsv")}
    assert len(before) == len(after) == 2
    # Old validation utterances stay validation; at most the new line takes one place.
    assert after - {"wavs/a/zz.wav"} <= before
    assert len(before - after) == len(after - before) <= 1


def test_source_argument_names(tmp_path: Path) -> None:
    folder = make_ljspeech(tmp_path / "jf_alpha", 1)
    assert parse_source_arg(str(folder)) == ("jf_alpha", folder)
    assert parse_source_arg(f"alice={folder}") == ("alice", folder)
    with pytest.raises(DataError, match="does not exist"):
        parse_source_arg(str(tmp_path / "nope"))
    with pytest.raises(DataError, match=r"neither metadata\.csv"):
        prepare_dataset([("x", tmp_path)], tmp_path / "out", RATE, progress=False)


def test_cli_prepare_reports_and_succeeds(
    sources: list[tuple[str, Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [f"{name}={folder}" for name, folder in sources]
    code = main(
        [
            "data",
            "prepare",
            *args,
            str(tmp_path / "out"),
            "--val-per-speaker",
            "1",
            "--sample-rate",
            "16000",
            "-q",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "9 train + 2 val utterances" in printed
    assert "metadata.csv:7:" in printed and "5 lines skipped" in printed
