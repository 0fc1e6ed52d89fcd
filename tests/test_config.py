"""Settings: env vars with the VOICEBOT_ prefix, readable errors, secrets never shown."""

from __future__ import annotations

import io
import logging
import os
import sys
from pathlib import Path

import pytest

from voicebot.cli import main
from voicebot.config import Settings, load_settings
from voicebot.errors import ConfigError
from voicebot.logs import RedactSecrets, setup_logging

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_env_var_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEBOT_WORKERS", "3")
    monkeypatch.setenv("VOICEBOT_DEVICE", "cpu")
    settings = load_settings()
    assert settings.workers == 3
    assert settings.device == "cpu"


def test_wrong_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEBOT_WORKERS", "lots")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "VOICEBOT_WORKERS" in message
    assert "lots" in message
    assert "\n" not in message


def test_bad_device_lists_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEBOT_DEVICE", "tpu")
    with pytest.raises(ConfigError, match=r"VOICEBOT_DEVICE.*'auto'.*'cpu'.*'cuda'"):
        load_settings()


def test_dotenv_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("VOICEBOT_MAX_CHARS=42\n", encoding="utf-8")
    assert load_settings().max_chars == 42


def test_token_never_in_repr_or_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("VOICEBOT_DISCORD_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.token == TOKEN
    assert TOKEN not in repr(settings)
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactSecrets([TOKEN]))
    with caplog.at_level(logging.INFO):
        logger.info("logging in with %s", TOKEN)
    assert TOKEN not in caplog.text
    assert "[REDACTED]" in caplog.text


def test_the_database_password_is_a_secret_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEBOT_DATABASE_URL", "postgresql://bot:hunter2@db.example:5432/voicebot")
    settings = load_settings()
    assert "hunter2" in settings.secrets()
    assert "hunter2" not in repr(settings)


def test_logs_follow_stderr_when_it_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    setup_logging("INFO")
    first.close()  # as a test's captured stream is, once that test ends
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("voicebot.test").info("still heard")
    assert second.getvalue().endswith("voicebot.test: still heard\n"), second.getvalue()


def test_token_shaped_text_is_redacted_without_being_configured(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redact.shape")
    logger.addFilter(RedactSecrets())
    with caplog.at_level(logging.INFO):
        logger.info("oops: %s", TOKEN)
    assert TOKEN not in caplog.text


def test_cli_config_error_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("VOICEBOT_TORCH_THREADS", "-1")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "VOICEBOT_TORCH_THREADS" in out
    assert "Traceback" not in out


def test_copied_env_example_loads(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cp .env.example .env` as the README says must give a working configuration."""
    root = Path(__file__).resolve().parents[1]
    (tmp_path / ".env").write_text((root / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.workers >= 1
    assert settings.threads_per_worker() >= 1
    assert settings.token is None


def test_every_setting_is_documented_in_env_example() -> None:
    root = Path(__file__).resolve().parents[1]
    documented = (root / ".env.example").read_text(encoding="utf-8")
    missing = [name for name in Settings.model_fields if f"VOICEBOT_{name.upper()}=" not in documented]
    assert not missing, f"add to .env.example: {missing}"


def _clean_env(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    for name in list(os.environ):
        if name.startswith("VOICEBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(folder)


def test_the_documented_example_is_a_valid_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[1] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    _clean_env(monkeypatch, tmp_path)
    settings = load_settings()
    assert settings.plugins_disabled == [] and settings.shard_count is None


@pytest.mark.parametrize(
    ("value", "names"),
    [("reader", ["reader"]), ("reader, hello", ["reader", "hello"]), ('["reader"]', ["reader"]), ("", [])],
)
def test_plugin_lists_take_commas_or_json(
    value: str, names: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_env(monkeypatch, tmp_path)
    (tmp_path / ".env").write_text(f"VOICEBOT_PLUGINS_DISABLED={value}\n", encoding="utf-8")
    assert load_settings().plugins_disabled == names


def test_an_undecodable_list_is_one_line_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("VOICEBOT_PLUGINS_DISABLED", '["reader"')
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert "\n" not in message and "VOICEBOT_PLUGINS_DISABLED" in message and 'such as ["reader"]' in message


def test_misspelled_variables_are_named_with_the_closest_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voicebot.config import unknown_variables

    _clean_env(monkeypatch, tmp_path)
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "hello.py").write_text("def setup(ctx): pass\n")
    monkeypatch.setenv("VOICEBOT_DEFUALT_VOICE", "x")
    monkeypatch.setenv("VOICEBOT_HELLO_GREETING", "やあ")  # a plugin's own setting: fine
    (tmp_path / ".env").write_text("VOICEBOT_TOKEN=abc\n", encoding="utf-8")
    lines = unknown_variables(load_settings())
    assert lines == [
        "VOICEBOT_DEFUALT_VOICE is not a voicebot setting and is ignored; "
        "did you mean VOICEBOT_DEFAULT_VOICE?",
        "VOICEBOT_TOKEN is not a voicebot setting and is ignored; did you mean VOICEBOT_DISCORD_TOKEN?",
    ]


@pytest.mark.parametrize("value", ["wip/default", "default.safetensors", "../x"])
def test_a_default_voice_that_is_a_path_is_refused_at_start(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("VOICEBOT_DEFAULT_VOICE", value)
    with pytest.raises(ConfigError, match=r"VOICEBOT_DEFAULT_VOICE: .*not a path"):
        load_settings()
