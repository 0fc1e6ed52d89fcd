"""``voicebot run``: run the Discord bot until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import sys

from voicebot.cli.common import init
from voicebot.config import get_settings

__all__ = ["GIL_SWITCH_S", "register"]

GIL_SWITCH_S = 0.001
"""How long a thread of the bot process may hold the GIL while another waits (Python's default
is 5 ms). The event loop shares the GIL with discord.py's player thread of every voice channel
(each encodes its first packet as its chunk arrives), the database thread and the engine's pipe
readers, and a message passes through the loop several times between ``/say`` and its first
packet. Measured with ``voicebot bench e2e --servers 16`` (2 cores, 8 rounds, alternating):
first packet p95 296 and 358 ms at 5 ms, 244 and 266 ms at 1 ms; from the chunk reaching the
engine to the first packet, p95 56 and 91 ms against 38 and 33 ms."""


def _main(args: argparse.Namespace) -> int:
    from voicebot.bot import serve
    from voicebot.bot.runner import check_token

    check_token(get_settings())  # a missing token is one line, before anything starts
    settings = init(verbose=args.verbose)
    sys.setswitchinterval(GIL_SWITCH_S)
    asyncio.run(serve(settings))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="run the Discord bot",
        description="Log in to Discord with VOICEBOT_DISCORD_TOKEN, load the plugins and read aloud "
        "until Ctrl-C or SIGTERM (queued speech is finished or dropped, voice is left cleanly).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    parser.set_defaults(func=_main)
