"""``voicebot bench voice``: a trained voice and Open JTalk speak the held-out sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile

from voicebot.cli import main


def test_bench_voice_writes_both_voices_next_to_the_references(
    tmp_path: Path, tiny_data: Path, trained_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    voice = tmp_path / "tiny.safetensors"
    assert main(["export", str(trained_run), "-o", str(voice), "--name", "tiny"]) == 0
    out = tmp_path / "eval"
    args = ["bench", "voice", "--data", str(tiny_data), "--speaker", "alpha", "--voice", str(voice)]
    assert main([*args, "--out", str(out), "--count", "2"]) == 0

    stems = {path.stem for path in (out / "reference").iterdir()}
    assert len(stems) == 2  # the two validation sentences of alpha
    for folder in ("voice", "openjtalk"):
        assert {path.stem for path in (out / folder).iterdir()} == stems
        assert all(soundfile.info(str(path)).duration > 0.1 for path in (out / folder).iterdir())
    report = capsys.readouterr().out
    assert "tiny " in report and "openjtalk " in report and "RTF" in report


def test_bench_voice_names_a_missing_speaker(
    tmp_path: Path, tiny_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["bench", "voice", "--data", str(tiny_data), "--speaker", "nobody", "--voice", "openjtalk"]
    assert main([*args, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no validation sentences of speaker 'nobody'" in err and "--speaker (alpha" in err
