"""``voicebot data sample``: a speaker folder that ``data prepare`` takes, made offline."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile

from voicebot.cli import main
from voicebot.training import DataError
from voicebot.training.sample import ita_sentences, write_sample_corpus


def test_sample_folder_is_prepared_into_a_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "mei"
    assert main(["data", "sample", str(corpus), "--sentences", "6", "-q"]) == 0
    assert "next: voicebot data prepare" in capsys.readouterr().out
    lines = (corpus / "metadata.csv").read_text(encoding="utf-8").splitlines()
    assert lines == [f"{i}|{t}" for i, t in ita_sentences()[:6]]
    audio, rate = soundfile.read(corpus / "wavs" / f"{ita_sentences()[0][0]}.wav")
    assert rate == 48000 and len(audio) / rate > 0.5

    assert main(["data", "prepare", str(corpus), str(tmp_path / "data"), "--val-per-speaker", "1", "-q"]) == 0
    assert "5 train + 1 val utterances" in capsys.readouterr().out


def test_rerun_keeps_written_audio_and_bad_requests_are_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "mei"
    list(write_sample_corpus(corpus, 2))
    first = corpus / "wavs" / f"{ita_sentences()[0][0]}.wav"
    stamp = first.stat().st_mtime_ns
    assert len(list(write_sample_corpus(corpus, 3))) == 3
    assert first.stat().st_mtime_ns == stamp
    assert len((corpus / "metadata.csv").read_text(encoding="utf-8").splitlines()) == 3

    with pytest.raises(DataError, match="between 1 and 424"):
        list(write_sample_corpus(corpus, 0))
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"x")
    with pytest.raises(DataError, match="is not a speaker folder"):
        list(write_sample_corpus(other, 2))
