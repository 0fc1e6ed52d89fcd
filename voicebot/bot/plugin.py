"""What a plugin sees: :class:`PluginContext`, handed to its ``setup(ctx)``.

A plugin is a module (a file or package in ``plugins/``, or an installed package registered
under the ``voicebot.plugins`` entry point group) with a ``setup(ctx)`` function, sync or
async. Through ``ctx`` it declares its slash commands, event listeners, settings, the gateway
intents it needs and how to delete a user's data. Everything goes through the context, so the
registry can undo a half-finished load.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from discord import app_commands
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from voicebot.bot.errors import PluginError
from voicebot.config import ENV_PREFIX
from voicebot.storage import PluginData

if TYPE_CHECKING:
    from voicebot.bot.services import BotServices

__all__ = ["EVENTS", "Listener", "PluginContext", "PluginSettings", "UserDataHook"]

EVENTS = frozenset({"message", "voice_state_update", "ready"})
"""Events a plugin may listen to; handlers get discord.py's arguments of ``on_<event>``."""

Listener = Callable[..., Awaitable[None]]
UserDataHook = Callable[[int], Awaitable[None]]
S = TypeVar("S", bound="PluginSettings")


class PluginSettings(BaseSettings):
    """Base of a plugin's settings: field ``foo`` of plugin ``bar`` is ``VOICEBOT_BAR_FOO``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")


class PluginContext:
    """A plugin's handle on the bot while it loads, and afterwards.

    Attributes:
        name: the plugin's name (file name or entry point name).
        services: engine, database, voice sessions, limits and settings of the bot.
    """

    def __init__(self, name: str, services: BotServices) -> None:
        self.name = name
        self.services = services
        self.commands: list[app_commands.Command[Any, ..., Any] | app_commands.Group] = []
        self.listeners: list[tuple[str, Listener]] = []
        self.user_data_hooks: list[UserDataHook] = []
        self.intents: set[str] = set()

    @property
    def data(self) -> PluginData:
        """Key-value storage private to this plugin (per guild and per user if wanted)."""
        return self.services.db.plugin_data(self.name)

    def add_command(self, command: app_commands.Command[Any, ..., Any] | app_commands.Group) -> None:
        """Declare a slash command or command group."""
        if any(c.name == command.name for c in self.commands):
            raise PluginError(f"plugin {self.name!r} declares /{command.name} twice")
        self.commands.append(command)

    def add_listener(self, event: str, listener: Listener) -> None:
        """Call ``listener`` on each ``event`` (one of :data:`EVENTS`)."""
        if event not in EVENTS:
            raise PluginError(f"plugin {self.name!r}: unknown event {event!r}; use one of {sorted(EVENTS)}")
        if not inspect.iscoroutinefunction(listener):
            raise PluginError(f"plugin {self.name!r}: listener for {event!r} must be an async function")
        self.listeners.append((event, listener))

    def on_delete_user_data(self, hook: UserDataHook) -> None:
        """Register ``hook(user_id)``, which must delete everything the plugin stores about the user."""
        self.user_data_hooks.append(hook)

    def require_intent(self, intent: str) -> None:
        """Ask for a privileged or optional gateway intent, e.g. ``"message_content"``."""
        self.intents.add(intent)

    def settings(self, model: type[S]) -> S:
        """Read the plugin's settings from ``VOICEBOT_<NAME>_*`` variables and ``.env``.

        Raises:
            PluginError: a variable has a wrong value (the plugin is not loaded).
        """
        prefix = f"{ENV_PREFIX}{self.name.upper()}_"
        try:
            values = model(_env_prefix=prefix)  # type: ignore[call-arg]
        except ValidationError as exc:
            problems = "; ".join(
                f"{prefix}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
            )
            raise PluginError(f"plugin {self.name!r} has an invalid setting: {problems}") from None
        return values
