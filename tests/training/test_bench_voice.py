"""``voicebot bench voice``: a trained voice and Open JTalk speak the held-out sentences."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
import soundfile

from voicebot.bench.quality import dnsmos_available
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
    printed = capsys.readouterr().out
    assert "tiny " in printed and "openjtalk " in printed and "RTF" in printed and "MCD dB" in printed

    page = (out / "report.html").read_text(encoding="utf-8")
    players = re.findall(r'<audio controls preload=none src="([^"]+)">', page)
    assert len(players) == 3 * len(stems)  # recording, voice, Open JTalk for each sentence
    assert all((out / src).is_file() for src in players)
    images = re.findall(r'<img alt="spectrograms: recording / tiny / Open JTalk" src="([^"]+)">', page)
    assert len(images) == len(stems)
    for src in images:
        png = (out / src).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        assert struct.unpack(">II", png[16:24])[1] == 3 * 160 + 2 * 4  # three panels, two gaps
    rows = re.findall(r"<tr><td>([^<]+)</td>((?:<td>[^<]*</td>)+)</tr>", page)
    assert [name for name, _ in rows] == ["recordings", "tiny", "openjtalk"]
    assert "dB</td>" in rows[1][1] and "¢</td>" in rows[1][1]  # MCD and F0 RMSE of the voice
    if dnsmos_available():
        assert "DNSMOS left out" not in page and re.match(r"<td>\d\.\d\d</td>", rows[1][1])
    else:
        assert "DNSMOS left out: install the quality extra" in page


def test_bench_voice_names_a_missing_speaker(
    tmp_path: Path, tiny_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["bench", "voice", "--data", str(tiny_data), "--speaker", "nobody", "--voice", "openjtalk"]
    assert main([*args, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no validation sentences of speaker 'nobody'" in err and "--speaker (alpha" in err


def test_mel_cepstral_distortion_is_zero_for_the_same_audio_and_grows_with_distortion() -> None:
    import numpy as np

    from voicebot.bench.quality import mel_cepstral_distortion

    t = np.arange(24000) / 24000
    voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 30)).astype(np.float32)
    noise = np.random.default_rng(0).standard_normal(t.size).astype(np.float32)
    assert mel_cepstral_distortion(voiced, 24000, voiced, 24000) == 0.0
    slight = mel_cepstral_distortion(voiced + 0.05 * noise, 24000, voiced, 24000)
    heavy = mel_cepstral_distortion(voiced + 0.5 * noise, 24000, voiced, 24000)
    assert 0.0 < slight < heavy
    # Rates differ: the recording at 48 kHz is resampled, not misread.
    doubled = np.repeat(voiced, 2)  # the same tone at 48 kHz (sample-and-hold: close, not equal)
    assert mel_cepstral_distortion(voiced, 24000, doubled, 48000) < slight
