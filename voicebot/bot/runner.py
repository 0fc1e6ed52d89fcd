"""Run the bot until SIGINT/SIGTERM, then shut down in order.

Start: check the token's shape, open the database, start the engine, load the plugins, log
in. Stop (uvicorn style, the signal handler only records the signal): refuse new speech, let
the utterances being spoken finish within a grace period, drop the queues, leave voice,
close the Discord connection, the engine and the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal

import aiohttp
import discord

from voicebot.bot.client import create_client
from voicebot.bot.errors import LoginError
from voicebot.bot.limits import RateLimiter
from voicebot.bot.registry import PluginRegistry
from voicebot.bot.services import BotServices
from voicebot.bot.voice.manager import SessionManager
from voicebot.config import ENV_PREFIX, Settings
from voicebot.engine import Engine
from voicebot.storage import Database
from voicebot.text import warm_up

__all__ = ["SHUTDOWN_GRACE", "check_token", "serve"]

_log = logging.getLogger(__name__)

SHUTDOWN_GRACE = 5.0  # seconds an utterance being spoken may take to finish at shutdown
PORTAL = "https://discord.com/developers/applications"
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{17,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


def check_token(settings: Settings) -> str:
    """The token, if it is set and shaped like a bot token.

    Raises:
        LoginError: missing or malformed, with where to get one.
    """
    token = settings.token
    where = (
        f"get one at {PORTAL} (your application -> Bot -> Reset Token) "
        f"and set {ENV_PREFIX}DISCORD_TOKEN in .env"
    )
    if not token:
        raise LoginError(f"no Discord token: {where}")
    if not _TOKEN_SHAPE.match(token.strip()):
        raise LoginError(f"{ENV_PREFIX}DISCORD_TOKEN does not look like a bot token: {where}")
    return token.strip()


async def serve(settings: Settings) -> None:
    """Run the bot until SIGINT or SIGTERM.

    Raises:
        LoginError: the token is missing, malformed or refused by Discord, or an intent is not enabled.
        PluginError, StorageError, ConfigError: from start-up, each with a readable message.
    """
    token = check_token(settings)
    db = Database.from_settings(settings)
    await db.open()
    engine = Engine(settings)
    try:
        await engine.start()
        warm_up()  # on the event loop's thread, where messages are checked for readable text
        sessions = SessionManager(engine, max_queue=settings.max_queue, idle_timeout=settings.idle_timeout)
        limiter = RateLimiter(settings.rate_limit_count, settings.rate_limit_seconds)
        services = BotServices(settings, engine, db, sessions, limiter)
        registry = PluginRegistry(services)
        await registry.load_all()
        async with create_client(services, registry) as client:
            await _run_until_signal(client, sessions, token)
    finally:
        await engine.close()
        await db.close()
        _log.info("stopped")


async def _run_until_signal(client: discord.Client, sessions: SessionManager, token: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            raise LoginError(
                f"Discord refused the token: reset it at {PORTAL} (Bot -> Reset Token) "
                f"and update {ENV_PREFIX}DISCORD_TOKEN"
            ) from None
        except (aiohttp.ClientConnectionError, OSError) as exc:
            raise LoginError(f"cannot reach Discord ({exc}): check the network and try again") from None
        connection = asyncio.create_task(client.connect(), name="discord gateway")
        stopping = asyncio.create_task(stop.wait(), name="wait for signal")
        await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if stop.is_set():
            _log.info("signal received: finishing current speech, leaving voice")
        await sessions.close(grace=SHUTDOWN_GRACE)
        await client.close()
        if connection.done():
            _raise_readable(connection.exception())
        else:
            with contextlib.suppress(asyncio.CancelledError):
                await connection
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _raise_readable(error: BaseException | None) -> None:
    if isinstance(error, discord.PrivilegedIntentsRequired):
        raise LoginError(
            f"Discord refused the Message Content intent: enable it at {PORTAL} (Bot -> Privileged Gateway "
            f"Intents), or disable the reader with {ENV_PREFIX}PLUGINS_DISABLED='[\"reader\"]'"
        ) from None
    if error is not None:
        raise error
