"""``voicebot bench e2e``: from the ``/say`` interaction reaching the bot to the first voice packet
leaving it, through the real bot process, with 1 and 16 servers speaking at once.

The bot runs unmodified (``voicebot run`` in a subprocess, its default voice from the models
folder, phrase cache off) against the test suite's fake Discord on loopback, so this target
needs a source checkout. Each server has a member in voice; after a warm-up ``/say`` that
brings the bot into every channel, each round sends ``/say`` in every server at the same
moment and waits until every utterance has ended. A server that hears nothing within 10 s
counts as refused (the bot's busy reply). A heard utterance *stalled* when the bot sent Opus
silence between two of its audio packets: its player ran out of audio for longer than it waits
for a late chunk, so the listener heard a gap (the silence a player sends after the end does not
count). Every ``/say`` says another sentence of the same shape as
:data:`~voicebot.bench.engine.MESSAGE`, as members do: a repeated one would be read from caches
(the bot's and the workers' phoneme caches) and hide their cost.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from discord.opus import OPUS_SILENCE

from voicebot.bench import percentile
from voicebot.bench.engine import MESSAGE
from voicebot.cli.common import init
from voicebot.config import Settings

if TYPE_CHECKING:
    from tests.fake_discord.server import FakeDiscord
    from tests.fake_discord.voice import RtpPacket

__all__ = ["Stalls", "message", "run", "stalls"]

_ROOT = Path(__file__).resolve().parents[2]
_HEARD_WITHIN_S = 10.0
_QUIET_S = 0.3  # no packet for this long: the utterance has ended
_COMPILING_STARTUP_S = 900.0  # compiling workers log in after warm-up: over a minute on 2 cores
_WHEN = ("今日", "明日", "週末", "午後", "夕方", "休日", "連休", "朝")
_WHERE = (
    "散歩", "公園", "海", "山", "川", "湖", "駅前", "図書館", "動物園", "水族館", "美術館", "博物館",
    "商店街", "遊園地", "植物園", "映画館", "温泉", "神社", "お寺", "市場", "港", "牧場", "島", "城",
)  # fmt: skip


def message(index: int) -> str:
    """The ``index``-th message: 192 distinct ones of :data:`MESSAGE`'s shape, then again."""
    when, where = divmod(index % (len(_WHEN) * len(_WHERE)), len(_WHERE))
    return f"{_WHEN[when]}はいい天気なので、みんなで{_WHERE[where]}に行く"


@dataclass
class Stalls:
    """Gaps heard in utterances: how many utterances had one, and their total length (seconds)."""

    utterances: int = 0
    seconds: float = 0.0

    def add(self, other: Stalls) -> None:
        """Count ``other``'s utterances and seconds too."""
        self.utterances += other.utterances
        self.seconds += other.seconds


def stalls(packets: list[RtpPacket]) -> Stalls:
    """The gaps in ``packets``, one utterance per guild: each Opus silence frame (20 ms) that
    an audio packet of its guild follows."""
    silent: dict[int, int] = {}  # guild -> silence frames since its last audio packet
    gaps: dict[int, int] = {}  # guild -> silence frames inside its utterance
    for packet in packets:
        if packet.opus == OPUS_SILENCE:
            silent[packet.guild_id] = silent.get(packet.guild_id, 0) + 1
        elif silent.get(packet.guild_id):
            gaps[packet.guild_id] = gaps.get(packet.guild_id, 0) + silent.pop(packet.guild_id)
    return Stalls(len(gaps), 0.02 * sum(gaps.values()))


async def _first_packets(fake: FakeDiscord, start: int, since: float) -> dict[int, float]:
    """Wait until every guild's utterance has ended; the first packet's time of each.

    ``start`` is the number of packets heard before this round: only later ones are looked at
    (scanning every packet of every round, 20 times a second, took CPU from the bot measured).
    """
    deadline = since + _HEARD_WITHIN_S
    first: dict[int, float] = {}
    seen = start
    last = since
    while True:
        await asyncio.sleep(0.05)
        now = time.monotonic()
        packets = fake.voice.packets
        for packet in packets[seen:]:
            first.setdefault(packet.guild_id, packet.at)
            last = packet.at
        seen = len(packets)
        quiet = seen == start or now - last > _QUIET_S
        if quiet and (len(first) == len(fake.guilds) or now > deadline):
            return first


async def _level(
    settings: Settings, servers: int, rounds: int, folder: Path
) -> tuple[list[float], int, Stalls]:
    from tests.fake_discord.bot import STARTUP_TIMEOUT, BotDidNotStart, start_bot
    from tests.fake_discord.server import FakeDiscord
    from tests.fake_discord.tls import self_signed

    tls, _ = self_signed(folder)
    fake = FakeDiscord(tls, guilds=servers)
    await fake.start()
    try:
        bot = await start_bot(
            fake,
            folder,
            {
                "VOICEBOT_MODELS_DIR": str(settings.models_dir.resolve()),
                "VOICEBOT_DATA_DIR": str(folder / "data"),
                "VOICEBOT_DEFAULT_VOICE": settings.default_voice,
                "VOICEBOT_COMPILE": str(settings.compile).lower(),
                "VOICEBOT_DEVICE": settings.device,
                "VOICEBOT_WORKERS": str(settings.workers),
                "VOICEBOT_PRECISION": settings.precision,
                "VOICEBOT_PHRASE_CACHE_MB": "0",
            },
            startup_timeout=_COMPILING_STARTUP_S if settings.compile else STARTUP_TIMEOUT,
        )
    except BotDidNotStart as exc:
        await fake.close()
        raise SystemExit(str(exc)) from None
    latencies: list[float] = []
    refused = 0
    stalled = Stalls()
    said = 0
    try:
        for round_ in range(rounds + 1):  # round 0 joins the channels and warms the workers up
            sent: dict[int, float] = {}
            start = len(fake.voice.packets)
            for guild in fake.guilds:
                sent[guild.id] = time.monotonic()
                await fake.run_command(guild.listener, "say", {"text": message(said)}, guild=guild)
                said += 1
            first = await _first_packets(fake, start, min(sent.values()))
            if round_ == 0:
                continue
            latencies += [first[gid] - sent[gid] for gid in sent if gid in first]
            refused += len(sent) - len(first)
            stalled.add(stalls(fake.voice.packets[start:]))
    finally:
        await bot.stop()
        await fake.close()
    return latencies, refused, stalled


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print one row per number of servers."""
    if not (_ROOT / "tests" / "fake_discord").is_dir():
        print("voicebot bench e2e needs a source checkout: it uses the test suite's fake Discord.")
        return 2
    sys.path.insert(0, str(_ROOT))
    settings = init(args.verbose)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # the fake's request log
    if args.compile is not None:
        settings = settings.model_copy(update={"compile": args.compile == "on"})
    levels = sorted({int(level) for level in args.servers.split(",") if level.strip()})
    print(
        f"e2e bench: voice {settings.default_voice!r}, {settings.workers} worker(s), compile "
        f"{'on' if settings.compile else 'off'}, {args.rounds} rounds, messages like {MESSAGE!r}"
    )
    print(
        f"{'servers':>8} {'first packet p50':>17} {'p95':>7} {'max':>7} {'heard':>6} {'refused':>8} "
        f"{'stalled':>8} {'gaps':>6}"
    )
    for servers in levels:
        with tempfile.TemporaryDirectory(prefix="voicebot-bench-e2e-") as tmp:
            latencies, refused, stalled = asyncio.run(_level(settings, servers, args.rounds, Path(tmp)))
        ms = [value * 1000 for value in latencies] or [float("nan")]
        print(
            f"{servers:>8} {statistics.median(ms):>15.0f}ms {percentile(ms, 0.95):>5.0f}ms "
            f"{max(ms):>5.0f}ms {len(latencies):>6} {refused:>8} "
            f"{stalled.utterances:>8} {stalled.seconds:>5.2f}s"
        )
    return 0
