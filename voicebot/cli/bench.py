"""``voicebot bench TARGET``: speed figures of the frontend, the voice model and the engine.

Run on a quiet machine: other processes on the same cores slow every figure.
"""

# Each target lives in voicebot.bench.<target> with run(args) -> int, imported only when that
# target runs: the model and engine benches load torch, which building the parser must not.

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import get_args

from voicebot.cli.common import help_text, positive_int
from voicebot.config import Precision

__all__ = ["TARGETS", "register"]


def _frontend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=20, help="passes over the messages (default 20)")
    parser.add_argument(
        "--show", action="store_true", help="print each message's normalized text and its kana reading"
    )


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=("small", "large"), default="small", help="model preset")
    parser.add_argument(
        "--head", choices=("istft", "ms_istft"), default=None, help="waveform head (default: the preset's)"
    )
    parser.add_argument(
        "--source",
        choices=("none", "harmonic"),
        default=None,
        help="decoder excitation (default: the preset's, harmonic)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="passes over the sentences (default 3)")
    parser.add_argument("--threads", default="1,2", help="comma-separated torch thread counts (default 1,2)")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile measurements")


def _engine_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency", default="1,4,16,32", help="comma-separated levels (default 1,4,16,32)"
    )
    parser.add_argument(
        "--voice",
        default=None,
        help="voice name in the models folder or path to a .safetensors file "
        "(default: the default voice, else a random-weight voice of the default config)",
    )
    parser.add_argument(
        "--requests", type=int, default=32, help="requests per concurrency level (default 32)"
    )
    parser.add_argument(
        "--compile", choices=("both", "on", "off"), default="both", help="torch.compile modes to measure"
    )
    parser.add_argument(
        "--engine",
        default="local",
        help="comma-separated engines to measure one after the other: local (worker processes), "
        "ray (the Ray cluster at VOICEBOT_RAY_ADDRESS, see README 'Scaling out'); default local",
    )
    parser.add_argument("--verbose", action="store_true", help="engine logs at DEBUG")


def _voice_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, required=True, help="dataset folder made by `voicebot data prepare`"
    )
    parser.add_argument("--speaker", default="jf_alpha", help="speaker whose validation sentences to speak")
    parser.add_argument(
        "--count", type=positive_int, default=60, help="at most this many sentences (default 60)"
    )
    parser.add_argument(
        "--voice", default=None, help="voice name or .safetensors path (default: the default voice)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("bench-voice"), help="output folder (default: bench-voice)"
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    parser.add_argument(
        "--precision",
        choices=get_args(Precision),
        default=None,
        help="what the voice computes in, as VOICEBOT_PRECISION (default: that setting)",
    )
    parser.add_argument("--verbose", action="store_true", help="debug logging")


def _e2e_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--servers", default="1,16", help="comma-separated numbers of servers (default 1,16)")
    parser.add_argument(
        "--rounds", type=positive_int, default=10, help="messages per server at each level (default 10)"
    )
    parser.add_argument(
        "--compile", choices=("on", "off"), default=None, help="torch.compile (default: the setting)"
    )
    parser.add_argument("--verbose", action="store_true", help="debug logging")


TARGETS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "frontend": ("text frontend: normalize + G2P time per message", _frontend_arguments),
    "model": (
        "voice model: parameters, RTF with 1 and 2 threads, compiled or not, first-chunk latency",
        _model_arguments,
    ),
    "engine": (
        "engine: first-chunk latency p50/p95/p99, underruns, refusals, throughput and memory at several "
        "concurrencies",
        _engine_arguments,
    ),
    "voice": (
        "a trained voice next to Open JTalk on held-out sentences: RTF, speaking rate, audio to score",
        _voice_arguments,
    ),
    "e2e": (
        "the bot against a fake Discord: /say interaction to first voice packet, 1 and 16 servers at once "
        "(source checkout)",
        _e2e_arguments,
    ),
}
"""Target name -> (summary, function adding its options)."""


def _runner(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return int(importlib.import_module(f"voicebot.bench.{name}").run(args))

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` subcommand with one sub-subcommand per target."""
    parser = subparsers.add_parser(
        "bench", help="measure speed (RTF, latency, throughput, memory)", description=help_text(__doc__)
    )
    targets = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, (summary, add_arguments) in TARGETS.items():
        sub = targets.add_parser(name, help=summary, description=summary)
        add_arguments(sub)
        sub.set_defaults(func=_runner(name))
