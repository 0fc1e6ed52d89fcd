"""``voicebot doctor`` on a fresh install: what still works is a warning, not a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicebot.cli import main

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_no_voice_file_is_a_warning_and_a_missing_token_a_failure_only_for_the_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "models").mkdir()
    monkeypatch.setenv("VOICEBOT_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("VOICEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICEBOT_DISCORD_TOKEN", TOKEN)

    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "[warn] models" in out and "only the Open JTalk voice will speak" in out
    assert "1 warning, 0 to fix" in out

    assert "[ ok ] torch build" in out and "CPU only" in out and "GB on disk" in out
    assert "[ ok ] settings database" in out and "SQLite" in out

    monkeypatch.setenv("VOICEBOT_DISCORD_TOKEN", "")
    assert main(["doctor"]) == 0  # `voicebot say` needs no token
    out = capsys.readouterr().out
    assert "[warn] discord token" in out and "2 warnings, 0 to fix" in out
    assert main(["doctor", "--bot"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] discord token" in out and "1 to fix" in out


def test_an_unreachable_postgres_fails_the_doctor_without_showing_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOICEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICEBOT_DATABASE_URL", "postgresql://bot:hunter2@127.0.0.1:1/voicebot")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] settings database" in out and "127.0.0.1:1/voicebot" in out
    assert "hunter2" not in out


def test_an_unreachable_ray_cluster_fails_the_doctor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOICEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICEBOT_ENGINE", "ray")
    monkeypatch.setenv("VOICEBOT_RAY_ADDRESS", "127.0.0.1:1")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] speech engine" in out and "VOICEBOT_RAY_ADDRESS=127.0.0.1:1 (Connection refused)" in out
    assert "ray start --head" in out
