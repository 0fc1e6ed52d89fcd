"""``voicebot bench TARGET``: speed figures (benchmarks, never timed tests).

Each target lives in ``voicebot.bench.<target>`` and exposes ``add_arguments(parser)`` and
``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib

__all__ = ["TARGETS", "register"]

TARGETS = {
    "frontend": "text frontend: normalize + G2P time per message",
    "model": "voice model: parameters, RTF with 1 and 2 threads, compiled or not, first-chunk latency",
    "engine": "engine: first-chunk latency p50/p95, RTF, throughput and memory at several concurrencies",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` subcommand with one sub-subcommand per target."""
    parser = subparsers.add_parser(
        "bench", help="measure speed (RTF, latency, throughput, memory)", description=__doc__
    )
    targets = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, help_text in TARGETS.items():
        module = importlib.import_module(f"voicebot.bench.{name}")
        sub = targets.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub)
        sub.set_defaults(func=module.run)
