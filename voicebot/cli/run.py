"""``voicebot run``: run the Discord bot until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio

from voicebot.cli.common import init
from voicebot.config import get_settings

__all__ = ["register"]


def _main(args: argparse.Namespace) -> int:
    from voicebot.bot import serve
    from voicebot.bot.runner import check_token

    check_token(get_settings())  # a missing token is one line, before anything starts
    settings = init(verbose=args.verbose)
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
