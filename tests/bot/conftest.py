"""Fixtures of the bot tests: one real engine (Open JTalk voice) for the whole run, a fresh
database, services and plugin registry per test, and a helper that runs a slash command the
way discord.py's command tree does (errors included)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.bot.helpers import fake_connector
from voicebot.bot import BotServices, PluginRegistry, SessionManager
from voicebot.bot.limits import RateLimiter
from voicebot.config import Settings, load_settings
from voicebot.engine import Engine
from voicebot.storage import Database

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every async bot test runs on the session's event loop, where the shared engine lives."""
    marker = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        if pytest_asyncio.is_async_test(item) and HERE in Path(str(item.fspath)).parents:
            item.add_marker(marker, append=False)


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("bot")
    (root / "models").mkdir()
    return load_settings(
        models_dir=root / "models",
        data_dir=root / "data",
        plugins_dir=ROOT / "plugins",
        workers=1,
        torch_threads=1,
        compile=False,
        device="cpu",
        default_voice="openjtalk",
        max_chars=100,
        max_queue=3,
        rate_limit_count=5,
        rate_limit_seconds=60.0,
        admin_role="読み上げ管理",
        max_upload_mb=5,
    )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(base_settings: Settings) -> AsyncIterator[Engine]:
    async with Engine(base_settings) as running:
        yield running


@pytest.fixture
def settings(base_settings: Settings, tmp_path: Path) -> Settings:
    return base_settings.model_copy(update={"data_dir": tmp_path / "data"})


@pytest_asyncio.fixture(loop_scope="session")
async def db(settings: Settings) -> AsyncIterator[Database]:
    async with Database.from_settings(settings) as database:
        yield database


@pytest_asyncio.fixture(loop_scope="session")
async def services(settings: Settings, engine: Engine, db: Database) -> AsyncIterator[BotServices]:
    sessions = SessionManager(
        engine, max_queue=settings.max_queue, idle_timeout=settings.idle_timeout, connector=fake_connector
    )
    yield BotServices(
        settings, engine, db, sessions, RateLimiter(settings.rate_limit_count, settings.rate_limit_seconds)
    )
    await sessions.close(grace=0)


@pytest_asyncio.fixture(loop_scope="session")
async def registry(services: BotServices) -> AsyncIterator[PluginRegistry]:
    plugins = PluginRegistry(services)
    failures = await plugins.load_all()
    assert not failures
    await plugins.dispatch("ready")
    yield plugins
    for name in plugins.names:
        plugins.unload(name)
