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
