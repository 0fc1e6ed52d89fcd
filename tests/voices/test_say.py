"""``voicebot say`` writes a WAV file with the fallback voice and with a neural voice."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile

from voicebot.cli import main
from voicebot.config import get_settings

TEXT = "こんにちは、読み上げボットです。"


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty models folder that the settings point at, read fresh for each test."""
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VOICEBOT_MODELS_DIR", str(folder))
    monkeypatch.setenv("VOICEBOT_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def test_falls_back_to_open_jtalk_with_one_notice(
    models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hello.wav"
    assert main(["say", TEXT, "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert [line for line in captured.err.splitlines() if line.startswith("note:")] == [
        f"note: no neural voice 'default' in {models} yet, speaking with the Open JTalk voice "
        "(install a voice file there or set VOICEBOT_DEFAULT_VOICE)"
    ]
    audio, rate = soundfile.read(out)
    assert rate == 48000 and 1.0 < len(audio) / rate < 5.0
    assert str(out) in captured.out and "RTF" in captured.out and "voice openjtalk" in captured.out


def test_speaks_with_a_neural_voice_by_name(
    models: Path, tmp_path: Path, tiny_voice_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(tiny_voice_file, models / "tiny.safetensors")
    out = tmp_path / "tiny.wav"
    assert main(["say", TEXT, "-o", str(out), "--voice", "tiny", "--speaker", "kumo", "--speed", "1.5"]) == 0
    captured = capsys.readouterr()
    assert "note:" not in captured.err
    assert "voice tiny (kumo)" in captured.out
    audio, rate = soundfile.read(out)
    assert rate == 24000 and len(audio) > 0 and abs(audio).max() > 0


def test_default_voice_setting_picks_the_neural_voice(
    models: Path, tmp_path: Path, tiny_voice_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(tiny_voice_file, models / "tiny.safetensors")
    monkeypatch.setenv("VOICEBOT_DEFAULT_VOICE", "tiny")
    out = tmp_path / "out.wav"
    assert main(["say", TEXT, "-o", str(out)]) == 0
    assert soundfile.info(out).samplerate == 24000


def test_unknown_voice_and_speaker_are_readable_errors(
    models: Path, tmp_path: Path, tiny_voice_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(tiny_voice_file, models / "tiny.safetensors")
    assert main(["say", TEXT, "--voice", "nope"]) == 2
    assert "no voice 'nope'" in capsys.readouterr().err
    assert main(["say", TEXT, "--voice", "tiny", "--speaker", "x"]) == 2
    assert "its speakers are: alpha, kumo" in capsys.readouterr().err
    assert not (tmp_path / "say.wav").exists()


def test_broken_voice_file_is_a_readable_error(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (models / "default.safetensors").write_bytes(b"\x80\x04not really a pickle")
    assert main(["say", TEXT]) == 2
    err = capsys.readouterr().err
    assert "voicebot say: error:" in err and "convert it with `voicebot export`" in err


def test_list_shows_every_voice_and_its_speakers(
    models: Path, tiny_voice_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(tiny_voice_file, models / "tiny.safetensors")
    (models / "broken.safetensors").write_bytes(b"junk")
    assert main(["say", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("openjtalk: Open JTalk (mei), speakers: mei")
    assert lines[1].startswith("broken: refused:")
    assert lines[2] == "tiny: Tiny test voice, speakers: alpha, kumo"


def test_missing_text_is_a_usage_error(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["say"]) == 2
    assert "give the TEXT" in capsys.readouterr().err


def _median_f0(path: Path) -> float:
    import numpy as np
    import parselmouth

    audio, rate = soundfile.read(path)
    f0 = (
        parselmouth.Sound(audio, rate)
        .to_pitch_ac(pitch_floor=60, pitch_ceiling=800)
        .selected_array["frequency"]
    )
    return float(np.median(f0[f0 > 0]))


def test_pitch_moves_the_voice_by_semitones_and_bad_values_are_refused(
    models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["say", TEXT, "-o", str(tmp_path / "plain.wav")]) == 0
    assert main(["say", TEXT, "-o", str(tmp_path / "up.wav"), "--pitch", "7"]) == 0
    ratio = _median_f0(tmp_path / "up.wav") / _median_f0(tmp_path / "plain.wav")
    assert ratio == pytest.approx(2 ** (7 / 12), rel=0.05)
    capsys.readouterr()
    assert main(["say", TEXT, "-o", str(tmp_path / "x.wav"), "--pitch", "13"]) == 2
    assert "pitch must be between -12 and +12 semitones (got 13)" in capsys.readouterr().err
    assert main(["say", TEXT, "-o", str(tmp_path / "x.wav"), "--intonation", "1.5"]) == 2
    assert "cannot change its intonation" in capsys.readouterr().err  # Open JTalk has no such control
    assert not (tmp_path / "x.wav").exists()


def test_bad_output_paths_and_speeds_are_refused_before_speaking(
    models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (
            ["-o", str(tmp_path / "nodir" / "sub" / "out.wav")],
            "the folder " + str(tmp_path / "nodir" / "sub"),
        ),
        (["-o", str(tmp_path)], "is a folder: give a file name"),
        (["-o", str(tmp_path / "a.wav"), "--speed", "3"], "--speed must be between 0.5 and 2.0 (got 3)"),
        (["-o", str(tmp_path / "a.wav"), "--speed", "0"], "--speed must be between 0.5 and 2.0 (got 0)"),
    ]
    for extra, message in cases:
        assert main(["say", TEXT, *extra]) == 2, extra
        err = capsys.readouterr().err
        assert message in err and "note:" not in err  # refused before a voice was even picked
    assert not (tmp_path / "a.wav").exists()


def test_long_text_is_cut_with_a_word_on_how_to_read_more(
    models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEBOT_MAX_CHARS", "20")
    get_settings.cache_clear()
    assert main(["say", "あいうえお" * 6, "-o", str(tmp_path / "long.wav")]) == 0
    err = capsys.readouterr().err
    assert "the text has 30 characters, over the 20 that are read" in err and "VOICEBOT_MAX_CHARS" in err


def test_a_voice_kept_in_a_subfolder_is_listed_hinted_and_speaks_by_its_folder_name(
    models: Path, tmp_path: Path, tiny_voice_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (models / "wip").mkdir()
    shutil.copy(tiny_voice_file, models / "wip" / "default.safetensors")
    assert main(["say", "--list"]) == 0
    assert "wip/default: Tiny test voice, speakers: alpha, kumo (kept aside" in capsys.readouterr().out
    assert main(["say", TEXT, "-o", str(tmp_path / "jtalk.wav")]) == 0
    assert "to hear a voice kept aside there: --voice wip/default" in capsys.readouterr().err
    out = tmp_path / "wip.wav"
    assert main(["say", TEXT, "-o", str(out), "--voice", "wip/default", "--sample-rate", "48000"]) == 0
    assert "at 48000 Hz" in capsys.readouterr().out
    audio, rate = soundfile.read(out)
    assert rate == 48000 and abs(audio).max() > 0
