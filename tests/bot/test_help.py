"""``/help`` lists every command in the user's language and agrees with README; ``/stats``."""

from __future__ import annotations

import re
from pathlib import Path

import discord

from tests.bot.fakes import FakeGuild, FakeInteraction, FakeMember
from tests.bot.helpers import invoke
from voicebot.bot import BotServices, PluginRegistry
from voicebot.bot.client import create_client

README = Path(__file__).resolve().parents[2] / "README.md"


def _paths(lines: list[str]) -> set[str]:
    return {re.match(r"`/([^`]+)`", line).group(1) for line in lines}  # type: ignore[union-attr]


def _command_paths(client: discord.Client) -> set[str]:
    """``name`` or ``group sub`` of every command in the bot's command tree."""
    paths = set()
    for command in client.tree.get_commands():  # type: ignore[attr-defined]
        subs = getattr(command, "commands", None)
        paths |= {f"{command.name} {s.name}" for s in subs} if subs else {command.name}
    return paths


async def test_help_lists_every_command_in_the_users_language(
    registry: PluginRegistry, services: BotServices
) -> None:
    client = create_client(services, registry)  # the real command tree; never connected
    member = FakeMember(FakeGuild(), "たろう")
    japanese = FakeInteraction(member)
    english = FakeInteraction(member, locale=discord.Locale.british_english)
    japanese.client = english.client = client
    await invoke(registry, "help", japanese)
    await invoke(registry, "help", english)
    ja_lines = [line for line in japanese.replies[-1].content.splitlines() if line.startswith("`/")]
    en_lines = [line for line in english.replies[-1].content.splitlines() if line.startswith("`/")]
    assert "`/say`: テキストを読み上げます" in ja_lines and "`/say`: Read text aloud" in en_lines
    assert "`/dict add`" in "\n".join(ja_lines)  # subcommands, one line each
    assert _paths(ja_lines) == _paths(en_lines) == _command_paths(client)
    assert "forgetme" in _paths(ja_lines)  # the core's command too
    assert len(japanese.replies[-1].content) <= 2000  # one Discord message


async def test_readme_lists_the_same_commands_as_help(
    registry: PluginRegistry, services: BotServices
) -> None:
    client = create_client(services, registry)
    groups = {c.name for c in client.tree.get_commands() if getattr(c, "commands", None)}
    section = README.read_text(encoding="utf-8").split("### Commands", 1)[1].split("\n#", 1)[0]
    listed = {
        name if name.split()[0] in groups else name.split()[0]  # `/say text`: "text" is an option
        for name in re.findall(r"^- `/([a-z_]+(?: [a-z_]+)?)", section, flags=re.MULTILINE)
    }
    assert listed == _command_paths(client)


async def test_stats_shows_servers_sessions_queue_workers_and_voice(registry: PluginRegistry) -> None:
    interaction = FakeInteraction(FakeMember(FakeGuild(), "たろう"), locale=discord.Locale.american_english)
    await invoke(registry, "stats", interaction)
    reply = interaction.replies[-1].content
    assert reply.startswith("Latency 42 ms · up 0h 0m · servers 1 · speaking in 0")
    assert "queued 0" in reply and "default voice Open JTalk (mei)" in reply
    assert re.search(r"speech workers \d+/\d+", reply)
