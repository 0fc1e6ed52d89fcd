"""``voicebot bench model`` runs and reports the figures it promises."""

from __future__ import annotations

import pytest

from voicebot.cli import main


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
