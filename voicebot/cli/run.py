"""``voicebot run``: placeholder until its owner lands it."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser("run", help="(not available yet)")
    parser.set_defaults(func=lambda args: print("voicebot run is not available yet") or 1)
