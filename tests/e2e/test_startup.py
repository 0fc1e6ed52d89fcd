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
    """Command name -> subcommand names, read from ``plugins/*.py`` (``/forgetme`` is the bot's own).

    A group is ``VAR = app_commands.Group(name=...)``; its subcommands are ``@VAR.command(name=...)``.
    """
    commands: dict[str, set[str]] = {"forgetme": set()}
    for path in sorted((ROOT / "plugins").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        groups: dict[str, str] = {}  # variable -> group name
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                func = node.value.func
                if isinstance(func, ast.Attribute) and func.attr == "Group":
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            groups[target.id] = str(_name(node.value))
                            commands[groups[target.id]] = set()
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            if not isinstance(owner, ast.Name) or node.func.attr != "command":
                continue
            if owner.id == "app_commands":
                commands[str(_name(node))] = set()
            elif owner.id in groups:
                commands[groups[owner.id]].add(str(_name(node)))
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
