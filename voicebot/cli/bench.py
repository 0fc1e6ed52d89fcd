"""``voicebot bench TARGET``: speed figures of the frontend, the voice model and the engine.

Run on a quiet machine: other processes on the same cores slow every figure.
"""

# Each target lives in voicebot.bench.<target> with add_arguments(parser) and run(args) -> int.

from __future__ import annotations

import argparse
import importlib

from voicebot.cli.common import help_text

__all__ = ["TARGETS", "register"]

TARGETS = {
    "frontend": "text frontend: normalize + G2P time per message",
    "model": "voice model: parameters, RTF with 1 and 2 threads, compiled or not, first-chunk latency",
    "engine": "engine: first-chunk latency p50/p95, RTF, throughput and memory at several concurrencies",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` subcommand with one sub-subcommand per target."""
    parser = subparsers.add_parser(
        "bench", help="measure speed (RTF, latency, throughput, memory)", description=help_text(__doc__)
    )
    targets = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, summary in TARGETS.items():
        module = importlib.import_module(f"voicebot.bench.{name}")
        sub = targets.add_parser(name, help=summary, description=summary)
        module.add_arguments(sub)
        sub.set_defaults(func=module.run)
