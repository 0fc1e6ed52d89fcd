"""What can be checked about the bot without connecting to Discord (used by ``voicebot doctor``).

The plugins are loaded for real, against services that are built but not started: their
``setup`` runs (settings validated, commands and intents declared) and nothing is contacted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voicebot.bot.errors import LoginError
from voicebot.bot.limits import RateLimiter
from voicebot.bot.registry import PluginRegistry
from voicebot.bot.runner import check_token
from voicebot.bot.services import BotServices
from voicebot.bot.voice.manager import SessionManager
from voicebot.config import Settings
from voicebot.engine import Engine
from voicebot.storage import Database

__all__ = ["PRIVILEGED_INTENTS", "Preflight", "preflight"]

PRIVILEGED_INTENTS = ("message_content", "members", "presences")


@dataclass(frozen=True)
class Preflight:
    """The offline view of the bot.

    Attributes:
        token_problem: why the token cannot work, or None if it is set and well shaped.
        plugins: plugins that loaded.
        failures: plugin name -> why it did not load.
        intents: gateway intents the bot will ask for.
    """

    token_problem: str | None
    plugins: list[str]
    failures: dict[str, str] = field(default_factory=dict)
    intents: list[str] = field(default_factory=list)

    @property
    def privileged(self) -> list[str]:
        """Intents that must be switched on in the developer portal."""
        return [name for name in self.intents if name in PRIVILEGED_INTENTS]


async def preflight(settings: Settings) -> Preflight:
    """Check the token's shape and load every enabled plugin without contacting Discord."""
    try:
        check_token(settings)
        token_problem = None
    except LoginError as exc:
        token_problem = str(exc)
    engine = Engine(settings)
    sessions = SessionManager(engine, max_queue=settings.max_queue, idle_timeout=settings.idle_timeout)
    limiter = RateLimiter(settings.rate_limit_count, settings.rate_limit_seconds)
    registry = PluginRegistry(
        BotServices(settings, engine, Database.from_settings(settings), sessions, limiter)
    )
    failures = await registry.load_all()
    intents = [name for name, on in registry.intents() if on]
    plugins = registry.names
    for name in plugins:
        registry.unload(name)
    return Preflight(token_problem, plugins, {name: str(exc) for name, exc in failures.items()}, intents)
