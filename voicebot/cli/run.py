"""``voicebot run``: run the Discord bot until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import sys

from voicebot.cli.common import init
from voicebot.config import get_settings

__all__ = ["GIL_SWITCH_S", "register"]

GIL_SWITCH_S = 0.0002
"""How long a thread of the bot process may hold the GIL while another waits (Python's default
is 5 ms). The event loop shares the GIL with discord.py's player thread of every voice channel
(each encodes its first packet as its chunk arrives), the database thread and the engine's pipe
readers. A thread that lets the GIL go around C work (numpy, the Opus encoder, a socket) must win
it back from whichever busy thread took it, and waits up to this long every time: a first packet
lets it go a dozen times or more. Sixteen player threads encoding their first packets beside a
busy thread (the event loop in a burst) had the last packet out after 99 ms at 1 ms, 45 ms at
0.2 ms and 42 ms at 0.05 ms (median of 15 tries, 2 cores). ``voicebot bench e2e --servers 16``
(2 cores, 10 rounds, five alternating runs) gave first packet p95 227-275 ms (median 230) at
0.2 ms against 234-278 ms (median 255) at 1 ms; an earlier run gave 296 and 358 ms at 5 ms
against 244 and 266 ms at 1 ms."""


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
