"""``voicebot say``: placeholder until its owner lands it."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``say`` subcommand."""
    parser = subparsers.add_parser("say", help="(not available yet)")
    parser.set_defaults(func=lambda args: print("voicebot say is not available yet") or 1)
