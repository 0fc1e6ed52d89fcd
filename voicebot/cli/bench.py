"""``voicebot bench``: placeholder until its owner lands it."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` subcommand."""
    parser = subparsers.add_parser("bench", help="(not available yet)")
    parser.set_defaults(func=lambda args: print("voicebot bench is not available yet") or 1)
