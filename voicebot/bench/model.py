"""Benchmark of the model (placeholder until its owner lands it)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options yet."""


def run(args: argparse.Namespace) -> int:
    """Not available yet."""
    print("voicebot bench model is not available yet")
    return 1
