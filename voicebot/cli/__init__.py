"""The ``voicebot`` command: one module per subcommand, each exposing ``register``.

A subcommand module defines ``register(subparsers)`` which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code. Errors derived
from :class:`~voicebot.errors.VoicebotError` are printed as one readable line (exit 2);
Ctrl-C exits with 130 and no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from voicebot import __version__
from voicebot.errors import VoicebotError

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

# Order is the order shown by ``voicebot --help``.
SUBCOMMANDS = ("say", "run", "dict", "db", "data", "train", "export", "bench", "doctor")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="voicebot",
        description="Self-hosted Discord read-aloud bot with a fast neural Japanese voice.",
    )
    parser.add_argument("--version", action="version", version=f"voicebot {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"voicebot.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``voicebot`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except VoicebotError as exc:
        print(f"voicebot {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder the user named: missing, unreadable, disk full
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"voicebot {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
