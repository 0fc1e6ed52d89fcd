"""The discord.py client: intents from the plugins, command sync, events routed to plugins.

:func:`create_client` builds a plain :class:`discord.Client`, or an
:class:`discord.AutoShardedClient` when ``settings.shard_count`` is set. Command errors are
handled in one place: a :class:`~voicebot.bot.errors.Refusal` becomes an ephemeral reply in
the user's language, anything else is logged with the plugin's name and answered with a
generic message.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands

from voicebot.bot.errors import Refusal
from voicebot.bot.interactions import reply
from voicebot.bot.messages import text
from voicebot.bot.registry import PluginRegistry
from voicebot.bot.services import BotServices
from voicebot.config import Settings

__all__ = ["BotClient", "create_client", "forget_me_command", "handle_command_error"]

_log = logging.getLogger(__name__)


async def handle_command_error(
    registry: PluginRegistry, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
) -> None:
    """Turn a failed command into an ephemeral reply; log it unless it was a plain refusal."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause, Refusal):
        message = cause.message(interaction.locale)
    elif isinstance(cause, app_commands.NoPrivateMessage):
        message = text("not_in_guild", interaction.locale)
    else:
        plugin = registry.plugin_of(interaction.command)
        _log.error(
            "plugin %s failed in /%s",
            plugin,
            interaction.command and interaction.command.qualified_name,
            exc_info=cause,
        )
        message = text("internal_error", interaction.locale)
    try:
        await reply(interaction, message)
    except discord.DiscordException as exc:
        _log.warning("could not send the error reply: %r", exc)


def forget_me_command(
    services: BotServices, registry: PluginRegistry
) -> app_commands.Command[Any, ..., None]:
    """``/forgetme``: delete what the bot and every plugin store about the caller."""

    @app_commands.command(name="forgetme", description="あなたのデータを削除します / Delete your data")
    async def forget_me(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True)
        await services.delete_user_data(interaction.user.id)
        failed = await registry.delete_user_data(interaction.user.id)
        services.limiter.forget(interaction.user.id)
        key = "forgot_partly" if failed else "forgot"
        await reply(interaction, text(key, interaction.locale, plugins=", ".join(failed)))

    return forget_me


class BotClient:
    """Behaviour shared by the plain and the sharded client (mixed in before the discord.py class).

    Args:
        services: engine, database, sessions, limits and settings.
        registry: loaded plugins; their commands are added to this client's tree.
    """

    tree: app_commands.CommandTree[Any]

    def __init__(self, services: BotServices, registry: PluginRegistry, **options: Any) -> None:
        super().__init__(intents=registry.intents(), **options)  # type: ignore[call-arg]
        self.services = services
        self.registry = registry
        self.tree = app_commands.CommandTree(self)  # type: ignore[arg-type]
        self.tree.on_error = self._on_command_error  # type: ignore[method-assign]
        self.tree.add_command(forget_me_command(services, registry))
        registry.install(self.tree)

    async def setup_hook(self) -> None:
        """Sync slash commands: to the dev guild (instant) when set, else globally (up to an hour)."""
        guild_id = self.services.settings.dev_guild_id
        try:
            if guild_id is not None:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                _log.info("synced %d commands to dev guild %s", len(synced), guild_id)
            else:
                synced = await self.tree.sync()
                _log.info(
                    "synced %d commands globally (Discord may take up to an hour to show them)", len(synced)
                )
        except discord.HTTPException as exc:
            _log.error(
                "could not sync slash commands (%s): invite the bot with the applications.commands scope%s",
                exc,
                ""
                if guild_id is None
                else f" and check that VOICEBOT_DEV_GUILD_ID={guild_id} is a guild it is in",
            )

    async def on_ready(self) -> None:
        """Log who we are and tell the plugins."""
        _log.info("logged in as %s in %d guilds", self.user, len(self.guilds))  # type: ignore[attr-defined]
        await self.registry.dispatch("ready")

    async def on_message(self, message: discord.Message) -> None:
        """Hand guild messages to the plugins (the reader decides what to read)."""
        if message.guild is not None:
            await self.registry.dispatch("message", message)

    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        """Leave channels without humans, then tell the plugins."""
        await self.services.sessions.on_voice_state_update(member)
        await self.registry.dispatch("voice_state_update", member, before, after)

    async def _on_command_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await handle_command_error(self.registry, interaction, error)


class _Client(BotClient, discord.Client):
    """One gateway connection."""


class _ShardedClient(BotClient, discord.AutoShardedClient):
    """Several shards, for bots in many guilds."""


def _endpoint_options(settings: Settings) -> dict[str, Any]:
    """Point discord.py at other endpoints when configured (a local fake Discord in tests).

    discord.py reads its REST base and gateway URL from class attributes, so they are set
    process-wide; a CA file becomes the connector's trust store (voice is always ``wss://``).
    """
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
    if settings.discord_ca_file is None:
        return {}
    context = ssl.create_default_context(cafile=str(settings.discord_ca_file))
    return {"connector": aiohttp.TCPConnector(limit=0, ssl=context)}


def create_client(services: BotServices, registry: PluginRegistry) -> discord.Client:
    """The bot client: sharded when ``settings.shard_count`` is set (all of the shards, or those
    of ``settings.shard_ids``). Call it inside the event loop."""
    options = _endpoint_options(services.settings)
    shard_count = services.settings.shard_count
    if shard_count is not None:
        # With shard ids, this process runs those shards only; other processes run the rest.
        shard_ids = services.settings.shard_ids or None
        return _ShardedClient(services, registry, shard_count=shard_count, shard_ids=shard_ids, **options)
    return _Client(services, registry, **options)
