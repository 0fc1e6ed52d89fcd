"""``voicebot doctor``'s offline checks of the bot."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from voicebot.cli.doctor import check_discord
from voicebot.config import Settings


def test_doctor_reports_token_shape_broken_plugins_and_privileged_intents(
    base_settings: Settings, tmp_path: Path
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.py").write_text("raise ImportError('needs a missing package')\n")
    reader = (Path(__file__).resolve().parents[2] / "plugins" / "reader.py").read_text()
    (plugins / "reader.py").write_text(reader)
    settings = base_settings.model_copy(
        update={"plugins_dir": plugins, "data_dir": tmp_path / "data", "discord_token": SecretStr("x.y")}
    )
    checks = {c.name: c for c in check_discord(settings)}
    assert not checks["token shape"].ok and "Reset Token" in checks["token shape"].hint
    assert checks["plugins"].detail == "reader"
    assert not checks["plugin broken"].ok and "needs a missing package" in checks["plugin broken"].hint
    assert "message_content" in checks["intents"].detail and "developer portal" in checks["intents"].detail
