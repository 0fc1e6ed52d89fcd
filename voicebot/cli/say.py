"""``voicebot say``: speak a sentence into a WAV file, without Discord.

The text goes through the same frontend as chat messages. With no neural voice installed yet
the classic Open JTalk voice speaks, so this works right after installation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from voicebot.config import ENV_PREFIX

__all__ = ["register"]


def _main(args: argparse.Namespace) -> int:
    from voicebot.cli.speak import run  # torch and the voices load only when speaking

    return run(args)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``say`` subcommand."""
    parser = subparsers.add_parser(
        "say",
        help="speak text into a WAV file (no Discord needed)",
        description="Normalize TEXT like a chat message, speak it and write a WAV file; prints the "
        "duration and the real-time factor (RTF: synthesis time / audio duration).",
    )
    parser.add_argument("text", nargs="?", metavar="TEXT", help="what to say, e.g. こんにちは")
    parser.add_argument(
        "-o", "--output", type=Path, default=Path("say.wav"), help="WAV file (default: say.wav)"
    )
    parser.add_argument(
        "--voice",
        help="voice name in the models folder, a .safetensors path, or openjtalk "
        f"(default: {ENV_PREFIX}DEFAULT_VOICE)",
    )
    parser.add_argument("--speaker", help="speaker of the voice (default: the voice's default speaker)")
    parser.add_argument("--speed", type=float, default=1.0, help="speaking speed, 0.5 to 2.0 (default: 1.0)")
    parser.add_argument(
        "--pitch",
        type=float,
        default=0.0,
        metavar="SEMITONES",
        help="pitch shift, -12 to +12 semitones (default: 0)",
    )
    parser.add_argument(
        "--intonation",
        type=float,
        default=1.0,
        metavar="SCALE",
        help="liveliness of the pitch contour, 0 (flat) to 2 (default: 1, as trained)",
    )
    parser.add_argument(
        "--sample-rate",
        type=int,
        choices=(16_000, 22_050, 24_000, 44_100, 48_000),
        metavar="HZ",
        help="resample the WAV file to HZ (16000, 22050, 24000, 44100 or 48000; default: the voice's "
        "own rate, 24000 for neural voices and 48000 for Open JTalk, so nothing is resampled)",
    )
    parser.add_argument("--list", action="store_true", help="list the voices and their speakers, then exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.set_defaults(func=_main)
