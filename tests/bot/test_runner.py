"""Starting the bot: token checks, the one-line error of ``voicebot run``, client and sharding."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import discord
import pytest

from tests.bot.fakes import FakeGuild, FakeMember, FakeVoiceChannel
from tests.bot.helpers import fake_connector
from voicebot.bot import BotServices, LoginError, PluginRegistry, Refusal, SessionManager, Utterance
from voicebot.bot.client import create_client
from voicebot.bot.runner import _run_until_signal, check_token
from voicebot.cli import main
from voicebot.config import get_settings, load_settings
from voicebot.engine import Engine

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


def _failed_run(capsys: pytest.CaptureFixture[str]) -> str:
    """``voicebot run`` with the settings of the environment now; asserts it exits 2 and
    returns what it printed on stderr."""
    get_settings.cache_clear()
    try:
        assert main(["run"]) == 2
    finally:
        get_settings.cache_clear()
    return capsys.readouterr().err.strip()


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_voicebot_run_without_a_valid_token_prints_one_line(
    token: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VOICEBOT_DISCORD_TOKEN", token)
    err = _failed_run(capsys)
    assert len(err.splitlines()) == 1
    assert err.startswith("voicebot run: error:") and "Reset Token" in err
    assert "Traceback" not in err


def test_voicebot_run_with_an_unreachable_database_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "VOICEBOT_DISCORD_TOKEN", "MTAwMDAwMDAwMDAwMDAwMDAw.Gabcde.fake-token-for-local-tests-only"
    )
    monkeypatch.setenv("VOICEBOT_DATABASE_URL", "postgresql://bot:hunter2@127.0.0.1:1/voicebot")
    err = _failed_run(capsys)
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "hunter2" not in err
    assert "cannot reach the settings database at 127.0.0.1:1/voicebot" in err


def test_voicebot_run_with_an_unreachable_ray_cluster_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("VOICEBOT_DISCORD_TOKEN", WELL_SHAPED)
    monkeypatch.setenv("VOICEBOT_ENGINE", "ray")
    monkeypatch.setenv("VOICEBOT_RAY_ADDRESS", "127.0.0.1:1")
    monkeypatch.setenv("VOICEBOT_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("VOICEBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICEBOT_LOG_LEVEL", "ERROR")
    started = time.monotonic()
    err = _failed_run(capsys)
    assert time.monotonic() - started < 30, "it retried for minutes instead of saying so"
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "cannot reach the Ray cluster at VOICEBOT_RAY_ADDRESS=127.0.0.1:1" in err
    assert "ray start --head" in err


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
        update={"shard_count": 4, "shard_ids": [2, 3], "plugins_disabled": ["reader"]}
    )
    registry = PluginRegistry(services)
    await registry.load_all()
    sharded = create_client(services, registry)
    assert isinstance(sharded, discord.AutoShardedClient) and sharded.shard_count == 4
    assert sharded.shard_ids == [2, 3]  # this process's shards only
    assert not sharded.intents.message_content
    for name in registry.names:
        registry.unload(name)


class FakeGateway:
    """Discord's side of the client: login works, the gateway runs until closed."""

    def __init__(self, on_connect: Any) -> None:
        self.on_connect = on_connect
        self.closed = asyncio.Event()
        self.events: list[str] = []

    async def login(self, token: str) -> None:
        self.events.append("login")

    async def connect(self) -> None:
        self.on_connect()
        await self.closed.wait()

    async def close(self) -> None:
        self.events.append("close")
        self.closed.set()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_a_signal_finishes_speech_leaves_voice_then_closes(engine: Engine, sig: signal.Signals) -> None:
    sessions = SessionManager(engine, max_queue=3, idle_timeout=60, connector=fake_connector)
    member = FakeMember(FakeGuild(), "たろう")
    channel = FakeVoiceChannel(member.guild)
    member.join(channel)
    session = await sessions.join(channel)  # type: ignore[arg-type]
    session.enqueue(Utterance("最後まで読みます。"))
    session.enqueue(Utterance("これは読まれません。"))
    await asyncio.sleep(0.05)
    gateway = FakeGateway(lambda: os.kill(os.getpid(), sig))
    await _run_until_signal(gateway, sessions, WELL_SHAPED)  # type: ignore[arg-type]
    assert gateway.events == ["login", "close"]
    assert session.closed and session.voice.disconnected  # type: ignore[attr-defined]
    played = session.voice.played  # type: ignore[attr-defined]
    assert len(played) == 1 and len(played[0]) > 20  # the first finished, the second was dropped
    with pytest.raises(Refusal):
        await sessions.join(channel)  # type: ignore[arg-type]


@pytest.mark.parametrize("dev_guild", [None, 123456789])
async def test_commands_sync_to_the_dev_guild_or_globally(
    services: BotServices, dev_guild: int | None
) -> None:
    services.settings = services.settings.model_copy(update={"dev_guild_id": dev_guild})
    client: Any = create_client(services, PluginRegistry(services))
    synced: list[object] = []

    async def sync(*, guild: discord.abc.Snowflake | None = None) -> list[object]:
        synced.append(guild.id if guild else "global")
        return []

    client.tree.sync = sync
    await client.setup_hook()
    assert synced == [dev_guild or "global"]
    if dev_guild:
        assert {c.name for c in client.tree.get_commands(guild=discord.Object(dev_guild))} == {"forgetme"}
