"""``voicebot bench model`` runs and reports the figures it promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.bench.e2e import stalls
from voicebot.cli import main
from voicebot.config import get_settings


def test_bench_model_reports_params_rtf_and_first_chunk(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "model", "--rounds", "1", "--threads", "1", "--no-compile"]) == 0
    out = capsys.readouterr().out
    assert "M inference parameters" in out and "voicebot.text.g2p" in out
    assert "eager    threads=1  RTF best" in out
    assert "first chunk p50" in out and "peak RSS" in out


def test_bench_engine_reports_latency_underruns_and_refusals(
    tiny_voice_file: object, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["bench", "engine", "--voice", str(tiny_voice_file), "--compile", "off"]
    assert main([*args, "--concurrency", "1,3", "--requests", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("conc"))
    assert header.split()[:8] == ["conc", "first", "p50", "p95", "p99", "underruns", "gap", "total"]
    rows = [line.split() for line in lines if line.split()[:1] in (["1"], ["3"])]
    assert [row[0] for row in rows] == ["1", "3"]
    assert all(row[4].isdigit() and row[6].isdigit() for row in rows)  # underruns, refused


def test_bench_e2e_times_the_first_voice_packet_in_every_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOICEBOT_DEFAULT_VOICE", "openjtalk")  # no neural voice to load: quick
    monkeypatch.setenv("VOICEBOT_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("VOICEBOT_WORKERS", "1")
    get_settings.cache_clear()
    try:
        assert main(["bench", "e2e", "--servers", "2", "--rounds", "1", "--compile", "off"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    _, p50, _, _, heard, refused, stalled, gaps = next(
        line.split() for line in out.splitlines() if line.split()[:1] == ["2"]
    )
    # each server's message is heard, or refused at once (the admission may turn one away)
    assert int(heard) >= 1 and int(heard) + int(refused) == 2, out
    assert int(stalled) == 0 and gaps == "0.00s", out
    assert 0 < float(p50.removesuffix("ms")) < 10_000


def test_bench_e2e_counts_the_silence_inside_an_utterance_as_a_stall() -> None:
    from discord.opus import OPUS_SILENCE

    from tests.fake_discord.voice import RtpPacket

    audio = b"\xfc\x01\x02"
    sent = [  # (guild, payload) in arrival order; each player ends with five silence frames
        (1, audio), (2, audio), (1, OPUS_SILENCE), (1, OPUS_SILENCE), (2, audio), (1, audio),
        *[(2, OPUS_SILENCE)] * 5, (1, audio), *[(1, OPUS_SILENCE)] * 5,
    ]  # fmt: skip
    packets = [RtpPacket(0.02 * i, i, opus, guild) for i, (guild, opus) in enumerate(sent)]
    found = stalls(packets)
    assert found.utterances == 1 and found.seconds == pytest.approx(0.04)
