"""Helpers of the bot tests: run a slash command as discord.py's tree does, join voice (faked)."""

from __future__ import annotations

from typing import Any

from discord import app_commands

from tests.bot.fakes import FakeInteraction, FakeVoiceChannel, FakeVoiceClient
from voicebot.bot import PluginRegistry
from voicebot.bot.client import handle_command_error

__all__ = ["fake_connector", "find_command", "invoke"]


async def fake_connector(channel: FakeVoiceChannel, on_give_up: Any) -> FakeVoiceClient:
    """Join a voice channel, Discord side faked."""
    return FakeVoiceClient(channel)


def find_command(registry: PluginRegistry, path: str) -> app_commands.Command[Any, ..., Any]:
    """The loaded command ``path``, e.g. ``"say"`` or ``"dict add"``."""
    root, _, sub = path.partition(" ")
    for name in registry.names:
        ctx = registry.get(name)
        assert ctx is not None
        for command in ctx.commands:
            if command.name == root:
                found = command.get_command(sub) if isinstance(command, app_commands.Group) else command
                assert found is not None, path
                return found  # type: ignore[return-value]
    raise AssertionError(f"no command /{path}")


async def invoke(registry: PluginRegistry, path: str, interaction: FakeInteraction, **options: Any) -> None:
    """Run ``/path`` as discord.py's tree would: an exception becomes the error reply."""
    command = find_command(registry, path)
    interaction.command = command
    try:
        await command.callback(interaction, **options)  # type: ignore[arg-type]
    except Exception as exc:
        await handle_command_error(registry, interaction, app_commands.CommandInvokeError(command, exc))  # type: ignore[arg-type]
