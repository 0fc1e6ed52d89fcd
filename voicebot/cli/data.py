"""``voicebot data``: placeholder until its owner lands it."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``data`` subcommand."""
    parser = subparsers.add_parser("data", help="(not available yet)")
    parser.set_defaults(func=lambda args: print("voicebot data is not available yet") or 1)
