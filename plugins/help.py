"""``/help``: the bot's commands in the user's language; ``/stats``: how the bot is doing."""

from __future__ import annotations

import math
import time
from typing import Any

import discord
from discord import app_commands

from voicebot.bot import PluginContext
from voicebot.bot.interactions import respond
from voicebot.bot.messages import lang_of

__all__ = ["command_lines", "setup"]


def _in_language(description: str, lang: str) -> str:
    """The part of a bilingual description (「日本語 / English」) in ``lang``."""
    japanese, _, english = description.partition(" / ")
    return english if lang == "en" and english else japanese


def command_lines(
    commands: list[app_commands.Command[Any, ..., Any] | app_commands.Group], lang: str
) -> list[str]:
    """One line per command and subcommand, ``/name sub: what it does``, sorted by name."""
    lines: list[str] = []
    for command in sorted(commands, key=lambda c: c.name):
        if isinstance(command, app_commands.Group):
            for sub in sorted(command.commands, key=lambda c: c.name):
                lines.append(f"`/{command.name} {sub.name}`: {_in_language(sub.description, lang)}")
        else:
            lines.append(f"`/{command.name}`: {_in_language(command.description, lang)}")
    return lines


def _duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h {minutes}m" if days else f"{hours}h {minutes}m"


def setup(ctx: PluginContext) -> None:
    """Declare ``/help`` and ``/stats``."""
    services = ctx.services
    started = time.monotonic()

    @app_commands.command(name="help", description="コマンドの一覧 / List the commands")
    async def help_(interaction: discord.Interaction[Any]) -> None:
        commands = interaction.client.tree.get_commands()  # every plugin's and the core's
        lines = command_lines(commands, lang_of(interaction.locale))  # type: ignore[arg-type]
        await respond(interaction, "help", commands="\n".join(lines))

    @app_commands.command(name="stats", description="ボットの状態 / How the bot is doing")
    async def stats(interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        latency = getattr(client, "latency", math.nan)
        workers = services.engine.workers()
        await respond(
            interaction,
            "stats",
            latency="-" if not math.isfinite(latency) else f"{latency * 1000:.0f} ms",
            uptime=_duration(time.monotonic() - started),
            guilds=len(getattr(client, "guilds", ())),
            sessions=services.sessions.count(),
            queued=services.engine.queued(),
            workers=f"{sum(w.alive for w in workers)}/{len(workers)}",
            in_flight=sum(w.in_flight for w in workers),
            voice=services.engine.default_voice().display_name,
        )

    ctx.add_command(help_)
    ctx.add_command(stats)
