"""``voicebot export``: placeholder until its owner lands it."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand."""
    parser = subparsers.add_parser("export", help="(not available yet)")
    parser.set_defaults(func=lambda args: print("voicebot export is not available yet") or 1)
