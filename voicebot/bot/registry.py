"""Finds, loads and isolates plugins.

Plugins come from ``settings.plugins_dir`` (each ``*.py`` file or package, imported by path
under the private ``_voicebot_plugins`` namespace so they never shadow real modules) and from
installed packages (entry point group ``voicebot.plugins``). Loading is atomic: if ``setup``
raises, or declares a command another plugin already has, nothing of the plugin stays. A
plugin that raises while handling an event is logged and the others carry on.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import importlib.util
import inspect
import logging
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from voicebot.bot.errors import PluginError
from voicebot.bot.plugin import PluginContext

if TYPE_CHECKING:
    from voicebot.bot.services import BotServices

__all__ = ["ENTRY_POINT_GROUP", "NAMESPACE", "PluginRegistry", "PluginSource"]

_log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "voicebot.plugins"
NAMESPACE = "_voicebot_plugins"


@dataclass(frozen=True)
class PluginSource:
    """Where a plugin comes from: a path in the plugins folder or an installed entry point."""

    name: str
    path: Path | None = None
    entry_point: importlib.metadata.EntryPoint | None = None

    @property
    def origin(self) -> str:
        """Human-readable origin, for logs."""
        if self.entry_point is not None:
            return f"entry point {self.entry_point.value}"
        return str(self.path)


def _namespace() -> types.ModuleType:
    module = sys.modules.get(NAMESPACE)
    if module is None:
        module = types.ModuleType(NAMESPACE, "voicebot plugins loaded from the plugins folder")
        module.__path__ = []
        sys.modules[NAMESPACE] = module
    return module


def _import_path(name: str, path: Path) -> types.ModuleType:
    """Import a plugin file or package by path as ``_voicebot_plugins.<name>``."""
    _namespace()
    module_name = f"{NAMESPACE}.{name}"
    if path.is_dir():
        spec = importlib.util.spec_from_file_location(
            module_name, path / "__init__.py", submodule_search_locations=[str(path)]
        )
    else:
        spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"plugin {name!r}: cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _forget_modules(name: str) -> None:
    prefix = f"{NAMESPACE}.{name}"
    for module_name in [m for m in sys.modules if m == prefix or m.startswith(prefix + ".")]:
        del sys.modules[module_name]


class PluginRegistry:
    """The loaded plugins and what they declared.

    Args:
        services: what plugins get through their context.
    """

    def __init__(self, services: BotServices) -> None:
        self.services = services
        self._plugins: dict[str, PluginContext] = {}
        self._tree: app_commands.CommandTree[Any] | None = None

    @property
    def names(self) -> list[str]:
        """Names of the loaded plugins, in load order."""
        return list(self._plugins)

    def get(self, name: str) -> PluginContext | None:
        """The context of a loaded plugin."""
        return self._plugins.get(name)

    def discover(self) -> list[PluginSource]:
        """Plugins found in the plugins folder and installed entry points (folder wins on a name clash)."""
        found: dict[str, PluginSource] = {}
        folder = self.services.settings.plugins_dir
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.name.startswith(("_", ".")):
                    continue
                if path.suffix == ".py" and path.is_file():
                    found[path.stem] = PluginSource(path.stem, path=path)
                elif path.is_dir() and (path / "__init__.py").is_file():
                    found[path.name] = PluginSource(path.name, path=path)
        else:
            _log.warning("plugins folder %s does not exist; set VOICEBOT_PLUGINS_DIR", folder)
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            found.setdefault(entry_point.name, PluginSource(entry_point.name, entry_point=entry_point))
        return list(found.values())

    async def load_all(self) -> dict[str, PluginError]:
        """Load every discovered plugin that is not disabled by ``settings.plugins_disabled``.

        Returns:
            The plugins that failed, with why; each failure is also logged. The others are loaded.
        """
        disabled = set(self.services.settings.plugins_disabled)
        failures: dict[str, PluginError] = {}
        for source in self.discover():
            if source.name in disabled:
                _log.info("plugin %s is disabled by VOICEBOT_PLUGINS_DISABLED", source.name)
                continue
            try:
                await self.load(source)
            except PluginError as exc:
                _log.error("%s", exc, exc_info=exc.__cause__)
                failures[source.name] = exc
        return failures

    async def load(self, source: PluginSource) -> PluginContext:
        """Import ``source`` and run its ``setup(ctx)``; on any failure nothing of it is kept.

        Raises:
            PluginError: the plugin is already loaded, could not be imported, has no ``setup``,
                raised in ``setup`` or declared a command name that is taken.
        """
        if source.name in self._plugins:
            raise PluginError(f"plugin {source.name!r} is already loaded")
        ctx = PluginContext(source.name, self.services)
        try:
            setup = self._find_setup(source)
            result = setup(ctx)
            if inspect.isawaitable(result):
                await result
            self._check_conflicts(ctx)
            if self._tree is not None:
                self._add_commands(ctx, self._tree)
        except Exception as exc:
            _forget_modules(source.name)
            if isinstance(exc, PluginError):
                raise
            raise PluginError(f"plugin {source.name!r} ({source.origin}) failed to load: {exc!r}") from exc
        self._plugins[source.name] = ctx
        _log.info("plugin %s loaded (%d commands) from %s", source.name, len(ctx.commands), source.origin)
        return ctx

    def unload(self, name: str) -> None:
        """Remove a plugin's commands, listeners and module."""
        ctx = self._plugins.pop(name, None)
        if ctx is None:
            return
        if self._tree is not None:
            for command in ctx.commands:
                self._tree.remove_command(command.name)
        _forget_modules(name)

    def install(self, tree: app_commands.CommandTree[Any]) -> None:
        """Add every loaded plugin's commands to ``tree``; plugins loaded later are added at load."""
        self._tree = tree
        for ctx in self._plugins.values():
            self._add_commands(ctx, tree)

    def intents(self) -> discord.Intents:
        """The minimal intents: guilds, voice states, guild messages, plus what plugins asked for."""
        intents = discord.Intents.none()
        intents.guilds = True
        intents.voice_states = True
        intents.guild_messages = True
        for ctx in self._plugins.values():
            for name in ctx.intents:
                setattr(intents, name, True)
        return intents

    def plugin_of(
        self, command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu | None
    ) -> str | None:
        """Which plugin declared ``command`` (or the group it belongs to)."""
        if command is None:
            return None
        root = command.root_parent.name if getattr(command, "root_parent", None) else command.name
        for name, ctx in self._plugins.items():
            if any(c.name == root for c in ctx.commands):
                return name
        return None

    async def dispatch(self, event: str, *args: Any) -> None:
        """Run every listener of ``event`` concurrently; one that raises is logged, not propagated."""
        calls = [
            self._isolated(name, listener, *args)
            for name, ctx in self._plugins.items()
            for ev, listener in ctx.listeners
            if ev == event
        ]
        if calls:
            await asyncio.gather(*calls)

    async def delete_user_data(self, user_id: int) -> list[str]:
        """Ask every plugin to delete what it stores about ``user_id``.

        Returns:
            Names of the plugins whose hook failed (each failure is logged).
        """
        failed = []
        for name, ctx in self._plugins.items():
            for hook in ctx.user_data_hooks:
                if not await self._isolated(name, hook, user_id):
                    failed.append(name)
        return failed

    async def _isolated(self, name: str, func: Callable[..., Any], *args: Any) -> bool:
        try:
            await func(*args)
        except Exception:  # a plugin's bug must not reach the bot or the other plugins
            _log.exception("plugin %s raised in %s", name, getattr(func, "__qualname__", func))
            return False
        return True

    def _find_setup(self, source: PluginSource) -> Callable[[PluginContext], Any]:
        if source.path is not None:
            target: Any = _import_path(source.name, source.path)
        else:
            assert source.entry_point is not None
            target = source.entry_point.load()
        setup = target if inspect.isfunction(target) else getattr(target, "setup", None)
        if not callable(setup):
            raise PluginError(f"plugin {source.name!r} ({source.origin}) has no setup(ctx) function")
        return setup

    def _check_conflicts(self, ctx: PluginContext) -> None:
        taken = {c.name: name for name, other in self._plugins.items() for c in other.commands}
        for command in ctx.commands:
            if command.name in taken:
                raise PluginError(
                    f"plugin {ctx.name!r} declares /{command.name}, which plugin {taken[command.name]!r} "
                    "already has: disable one of them with VOICEBOT_PLUGINS_DISABLED"
                )

    def _add_commands(self, ctx: PluginContext, tree: app_commands.CommandTree[Any]) -> None:
        added = []
        try:
            for command in ctx.commands:
                tree.add_command(command)
                added.append(command)
        except app_commands.AppCommandError:
            for command in added:
                tree.remove_command(command.name)
            raise
