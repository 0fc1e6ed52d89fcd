"""``voicebot export RUN -o voice.safetensors --name NAME``: a training run as a voice file.

The file holds the inference weights only, plus the model config, symbol table, speakers,
license and provenance (data and steps). Put it in the models folder to hear it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from voicebot.cli.common import help_text, init

__all__ = ["register"]


def _export(args: argparse.Namespace) -> int:
    init(args.verbose)
    from voicebot.training import export_voice
    from voicebot.voices.names import VOICE_SUFFIX, validate_voice_name

    name = validate_voice_name(args.name)
    output = Path(args.output)
    folder = output.is_dir() or args.output.endswith(("/", os.sep))  # Path() drops a trailing slash
    out = output / f"{name}{VOICE_SUFFIX}" if folder else output
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix != VOICE_SUFFIX:
        out = out.with_name(out.name + VOICE_SUFFIX)
    meta = export_voice(
        args.run,
        out,
        display_name=args.display_name or name,
        license_text=args.license,
        fp16=args.fp16,
        checkpoint=args.checkpoint,
        default_speaker=args.speaker,
    )
    print(f"wrote {out}: {meta.display_name}, speakers {', '.join(meta.speakers)}, {meta.sample_rate} Hz")
    if out.stem != name:
        print(f"note: the bot names voices by file name, so this one will be called {out.stem!r}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand."""
    parser = subparsers.add_parser(
        "export", help="write a training run as a voice file", description=help_text(__doc__)
    )
    parser.add_argument("run", type=Path, metavar="RUN", help="run folder of `voicebot train`")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="voice file, or a folder for NAME.safetensors (an existing one, or any path ending in /)",
    )
    parser.add_argument("--name", required=True, help="voice name (letters, digits, '-', '_')")
    parser.add_argument("--display-name", help="name shown to users (default: NAME)")
    parser.add_argument("--license", default="unspecified", help="license text or SPDX id of the voice")
    parser.add_argument("--speaker", help="default speaker (default: the first)")
    parser.add_argument("--fp16", action="store_true", help="store weights as float16 (half the size)")
    parser.add_argument("--checkpoint", type=Path, help="a specific checkpoint (default: the newest)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.set_defaults(func=_export)
