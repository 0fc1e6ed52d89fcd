"""``voicebot train``: placeholder until its owner lands it."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser("train", help="(not available yet)")
    parser.set_defaults(func=lambda args: print("voicebot train is not available yet") or 1)
