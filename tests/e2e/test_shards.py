"""Scenario 9: two `voicebot run` processes split the shards and share their settings in Postgres;
each speaks in the servers of its own shard, synthesizing locally or on a two-node Ray cluster."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.conftest import BOT_SETTINGS, until
from tests.e2e.listen import expected_audio, locate
from tests.fake_discord.bot import BotProcess, start_bot
from tests.fake_discord.server import FakeDiscord
from tests.fake_discord.tls import self_signed
from tests.postgres import PostgresServer
from tests.ray_cluster import delete_application
from voicebot.storage import BOT_DICTIONARY, Database


def _on_ray(request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings that send synthesis to the test cluster; its deployment is deleted afterwards."""
    cluster = request.getfixturevalue("ray_cluster")
    request.addfinalizer(lambda: delete_application(cluster.address))
    return {
        "VOICEBOT_ENGINE": "ray",
        "VOICEBOT_RAY_ADDRESS": cluster.address,
        "VOICEBOT_RAY_REPLICA_CPUS": "1",
        "VOICEBOT_RAY_MIN_REPLICAS": "2",
        "VOICEBOT_RAY_MAX_REPLICAS": "2",
    }


@pytest.mark.parametrize("engine", ["local", "ray"])
async def test_two_shard_processes_share_postgres_and_each_speaks_in_its_servers(
    tmp_path: Path, postgres: PostgresServer, engine: str, request: pytest.FixtureRequest
) -> None:
    engine_settings = _on_ray(request) if engine == "ray" else {}
    url = postgres.new_database()
    async with Database(url) as db:  # the owner's bot-wide word, for both processes to read
        await db.add_dictionary_entry(BOT_DICTIONARY, "鯖", "さば")
    tls, certificate = self_signed(tmp_path)
    fake = FakeDiscord(tls, guilds=2, shards=2)
    await fake.start()
    bots: list[BotProcess] = []
    try:
        for shard in range(2):
            folder = tmp_path / f"shard{shard}"
            (folder / "models").mkdir(parents=True)
            settings = {
                **BOT_SETTINGS,
                "VOICEBOT_MODELS_DIR": str(folder / "models"),
                "VOICEBOT_DATA_DIR": str(folder / "data"),
                "VOICEBOT_DISCORD_CA_FILE": str(certificate),
                "VOICEBOT_SHARD_COUNT": "2",
                "VOICEBOT_SHARD_IDS": str(shard),
                "VOICEBOT_DATABASE_URL": url,
                **engine_settings,
            }
            bots.append(await start_bot(fake, folder, settings))
        assert sorted(fake.shard_of(guild) for guild in fake.guilds) == [0, 1]

        for guild in fake.guilds:
            await fake.run_command(guild.listener, "say", {"text": "鯖です"}, guild=guild)

        def heard_both() -> bool:
            packets = fake.voice.packets
            guilds = {packet.guild_id for packet in packets}
            return len(guilds) == 2 and time.monotonic() - packets[-1].at > 0.5

        await until(heard_both, timeout=40)
        reference = expected_audio("さばです")
        for guild in fake.guilds:
            heard = fake.voice.pcm([packet for packet in fake.voice.packets if packet.guild_id == guild.id])
            assert locate(reference, heard)[1] >= 20.0, f"guild {guild.index} did not hear the shared reading"
            own, other = bots[fake.shard_of(guild)], bots[1 - fake.shard_of(guild)]
            assert f"guild {guild.id}: joined voice channel" in own.log_text()
            assert f"guild {guild.id}:" not in other.log_text(), "a process spoke in another shard's server"
    finally:
        for bot in bots:
            await bot.stop()
        await fake.close()
