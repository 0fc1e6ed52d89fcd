"""Starting the bot: token checks, the one-line error of ``voicebot run``, client and sharding."""

from __future__ import annotations

import discord
import pytest

from voicebot.bot import BotServices, LoginError, PluginRegistry
from voicebot.bot.client import create_client
from voicebot.bot.runner import check_token
from voicebot.cli import main
from voicebot.config import get_settings, load_settings

WELL_SHAPED = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcDE.abcdefghijklmnopqrstuvwxyz12345"


@pytest.mark.parametrize(
    ("token", "problem"), [(None, "no Discord token"), ("hunter2", "does not look like")]
)
def test_missing_or_malformed_token_says_where_to_get_one(token: str | None, problem: str) -> None:
    with pytest.raises(LoginError, match=problem) as caught:
        check_token(load_settings(discord_token=token))
    assert "discord.com/developers/applications" in str(caught.value)


def test_a_well_shaped_token_passes() -> None:
    assert check_token(load_settings(discord_token=f" {WELL_SHAPED} ")) == WELL_SHAPED


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_voicebot_run_without_a_valid_token_prints_one_line(
    token: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOICEBOT_DISCORD_TOKEN", token)
    get_settings.cache_clear()
    try:
        assert main(["run"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("voicebot run: error:") and "Reset Token" in err
    assert "Traceback" not in err


async def test_client_uses_minimal_intents_and_shards_when_asked(services: BotServices) -> None:
    registry = PluginRegistry(services)
    await registry.load_all()
    client = create_client(services, registry)
    assert not isinstance(client, discord.AutoShardedClient)
    assert client.intents.message_content and not client.intents.members
    names = {c.name for c in client.tree.get_commands()}  # type: ignore[attr-defined]
    assert {"say", "reader", "voice", "dict", "model", "join", "leave", "skip", "stop", "forgetme"} <= names
    for name in registry.names:
        registry.unload(name)
    services.settings = services.settings.model_copy(
        update={"shard_count": 2, "plugins_disabled": ["reader"]}
    )
    registry = PluginRegistry(services)
    await registry.load_all()
    sharded = create_client(services, registry)
    assert isinstance(sharded, discord.AutoShardedClient) and sharded.shard_count == 2
    assert not sharded.intents.message_content
    for name in registry.names:
        registry.unload(name)
