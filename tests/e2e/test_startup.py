"""Scenario 1: the bot logs in and syncs exactly the commands of the shipped plugins."""

from __future__ import annotations

import ast

from tests.e2e.conftest import ROOT, BotProcess
from tests.fake_discord.server import APPLICATION_ID, FakeDiscord


def _name(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return None


def shipped_commands() -> dict[str, set[str]]:
    """Command name -> subcommand names, read from ``plugins/*.py`` (``/forgetme`` is the bot's own)."""
    commands: dict[str, set[str]] = {"forgetme": set()}
    for path in sorted((ROOT / "plugins").glob("*.py")):
        group, subcommands = None, set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id == "app_commands" and node.func.attr == "command":
                commands[str(_name(node))] = set()
            elif isinstance(owner, ast.Name) and owner.id == "app_commands" and node.func.attr == "Group":
                group = _name(node)
            elif isinstance(owner, ast.Name) and owner.id == "group" and node.func.attr == "command":
                subcommands.add(str(_name(node)))
        if group is not None:
            commands[group] = subcommands
    return commands


async def test_identify_and_command_sync(fake: FakeDiscord, bot: BotProcess) -> None:
    sync = await fake.wait_for_call("PUT", f"/applications/{APPLICATION_ID}/commands", timeout=30)
    synced = {
        command["name"]: {option["name"] for option in command.get("options", []) if option["type"] == 1}
        for command in sync.json
    }
    assert synced == shipped_commands()
    assert {"say", "reader", "skip", "model"} <= synced.keys()
    assert fake.identifies == 1
    assert f"synced {len(synced)} commands globally" in bot.log_text()
