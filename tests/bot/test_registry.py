"""Plugin registry: discovery, atomic loading, isolation of failures, disabling, entry points."""

from __future__ import annotations

import importlib.metadata
import logging
import sys
import textwrap
from pathlib import Path

import discord
import pytest
from discord import app_commands

from tests.bot.fakes import FakeGuild, FakeInteraction, FakeMember
from tests.bot.helpers import invoke
from voicebot.bot import BotServices, PluginError, PluginRegistry
from voicebot.bot.registry import NAMESPACE, PluginSource

GOOD = """
from discord import app_commands
from voicebot.bot import PluginSettings

calls = []

class GoodSettings(PluginSettings):
    greeting: str = "やあ"

async def setup(ctx):
    settings = ctx.settings(GoodSettings)

    @app_commands.command(name="hello", description="hello")
    async def hello(interaction):
        await interaction.response.send_message(settings.greeting)

    async def on_message(message):
        calls.append(message)

    async def forget(user_id):
        calls.append(("forget", user_id))

    ctx.add_command(hello)
    ctx.add_listener("message", on_message)
    ctx.on_delete_user_data(forget)
"""

BROKEN_SETUP = """
from discord import app_commands

def setup(ctx):
    @app_commands.command(name="half", description="half")
    async def half(interaction):
        pass

    ctx.add_command(half)
    ctx.require_intent("members")
    raise RuntimeError("setup exploded")
"""

BROKEN_HANDLERS = """
from discord import app_commands

async def setup(ctx):
    @app_commands.command(name="boom", description="boom")
    async def boom(interaction):
        raise RuntimeError("handler exploded")

    async def on_message(message):
        raise RuntimeError("listener exploded")

    async def forget(user_id):
        raise RuntimeError("hook exploded")

    ctx.add_command(boom)
    ctx.add_listener("message", on_message)
    ctx.on_delete_user_data(forget)
"""

CLASH = """
from discord import app_commands

def setup(ctx):
    @app_commands.command(name="hello", description="a second /hello")
    async def hello(interaction):
        pass

    ctx.add_command(hello)
"""


def _plugins(tmp_path: Path, **sources: str) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    for name, code in sources.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(code))
    return folder


def _registry(services: BotServices, folder: Path, disabled: list[str] | None = None) -> PluginRegistry:
    services.settings = services.settings.model_copy(
        update={"plugins_dir": folder, "plugins_disabled": disabled or []}
    )
    return PluginRegistry(services)


@pytest.fixture(autouse=True)
def _no_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [])


async def test_a_failing_setup_is_rolled_back_and_the_others_load(
    services: BotServices, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = _registry(services, _plugins(tmp_path, good=GOOD, broken=BROKEN_SETUP))
    with caplog.at_level(logging.ERROR):
        failures = await registry.load_all()
    assert list(failures) == ["broken"]
    assert "setup exploded" in str(failures["broken"])
    assert "setup exploded" in caplog.text
    assert registry.names == ["good"]
    assert f"{NAMESPACE}.broken" not in sys.modules
    assert not registry.intents().members  # nothing the broken plugin asked for stays
    tree = app_commands.CommandTree(discord.Client(intents=registry.intents()))
    registry.install(tree)
    assert [c.name for c in tree.get_commands()] == ["hello"]
    for name in registry.names:
        registry.unload(name)


async def test_a_command_name_clash_is_refused_atomically(services: BotServices, tmp_path: Path) -> None:
    registry = _registry(services, _plugins(tmp_path, a_good=GOOD, b_clash=CLASH))
    failures = await registry.load_all()
    assert "already has" in str(failures["b_clash"])
    assert registry.names == ["a_good"]
    registry.unload("a_good")


async def test_plugins_can_be_disabled_by_setting(services: BotServices, tmp_path: Path) -> None:
    registry = _registry(services, _plugins(tmp_path, good=GOOD, broken=BROKEN_SETUP), disabled=["broken"])
    assert await registry.load_all() == {}
    assert registry.names == ["good"]
    registry.unload("good")


async def test_raising_handlers_are_isolated(
    services: BotServices, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    registry = _registry(services, _plugins(tmp_path, good=GOOD, broken=BROKEN_HANDLERS))
    assert await registry.load_all() == {}
    good = sys.modules[f"{NAMESPACE}.good"]
    with caplog.at_level(logging.ERROR):
        await registry.dispatch("message", "hi")
        assert good.calls == ["hi"]  # the good listener ran although the other raised
        assert "listener exploded" in caplog.text

        member = FakeMember(FakeGuild(), "たろう")
        interaction = FakeInteraction(member, locale=discord.Locale.american_english)
        await invoke(registry, "boom", interaction)
        assert "Something went wrong" in interaction.replies[-1].content
        assert "plugin broken failed in /boom" in caplog.text
        hello = FakeInteraction(member)
        await invoke(registry, "hello", hello)
        assert hello.replies[-1].content == "やあ"

        assert await registry.delete_user_data(42) == ["broken"]
        assert ("forget", 42) in good.calls
    for name in registry.names:
        registry.unload(name)


async def test_plugin_settings_come_from_prefixed_variables(
    services: BotServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOICEBOT_GOOD_GREETING", "こんばんは")
    registry = _registry(services, _plugins(tmp_path, good=GOOD))
    await registry.load_all()
    interaction = FakeInteraction(FakeMember(FakeGuild(), "たろう"))
    await invoke(registry, "hello", interaction)
    assert interaction.replies[-1].content == "こんばんは"
    registry.unload("good")


async def test_entry_point_plugins_load(
    services: BotServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = type(sys)("voicebot_test_entry_plugin")
    exec(compile(textwrap.dedent(GOOD), "voicebot_test_entry_plugin", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, "voicebot_test_entry_plugin", module)
    entry = importlib.metadata.EntryPoint("greeter", "voicebot_test_entry_plugin", "voicebot.plugins")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [entry])
    registry = _registry(services, _plugins(tmp_path))
    assert await registry.load_all() == {}
    assert registry.names == ["greeter"]
    registry.unload("greeter")


async def test_a_plugin_without_setup_is_refused(services: BotServices, tmp_path: Path) -> None:
    folder = _plugins(tmp_path, nosetup="X = 1\n")
    registry = _registry(services, folder)
    with pytest.raises(PluginError, match="no setup"):
        await registry.load(PluginSource("nosetup", path=folder / "nosetup.py"))
    assert f"{NAMESPACE}.nosetup" not in sys.modules


async def test_shipped_plugins_load_and_only_the_reader_needs_message_content(services: BotServices) -> None:
    registry = PluginRegistry(services)
    assert await registry.load_all() == {}
    assert set(registry.names) >= {"say", "reader", "voice", "dictionary", "models", "playback"}
    intents = registry.intents()
    assert intents.message_content and intents.guilds and intents.voice_states and intents.guild_messages
    assert not intents.members and not intents.presences
    registry.unload("reader")
    assert not registry.intents().message_content
    for name in registry.names:
        registry.unload(name)


async def test_a_wrong_plugin_setting_names_the_variable(
    services: BotServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = """
    from voicebot.bot import PluginSettings

    class CounterSettings(PluginSettings):
        limit: int = 3

    def setup(ctx):
        ctx.settings(CounterSettings)
    """
    monkeypatch.setenv("VOICEBOT_COUNTER_LIMIT", "many")
    registry = _registry(services, _plugins(tmp_path, counter=code))
    failures = await registry.load_all()
    assert "VOICEBOT_COUNTER_LIMIT" in str(failures["counter"])
    assert registry.names == []


async def test_the_readme_plugin_example_works(services: BotServices, tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = readme.split("## Writing a plugin", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    registry = _registry(services, _plugins(tmp_path, hello=example))
    assert await registry.load_all() == {}
    interaction = FakeInteraction(FakeMember(FakeGuild(), "たろう"))
    await invoke(registry, "hello", interaction)
    assert interaction.replies[-1].content == "こんにちは"
    registry.unload("hello")
