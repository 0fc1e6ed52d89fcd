"""``voicebot data prepare SRC [SRC ...] OUT``: speaker folders -> a training dataset.

Example::

    voicebot data prepare corpus/jf_alpha kumo=corpus/jm_kumo data/ja --val-per-speaker 60
"""

from __future__ import annotations

import argparse
from pathlib import Path

from voicebot.cli.common import help_text, init

__all__ = ["register"]


def _prepare(args: argparse.Namespace) -> int:
    init(args.verbose)
    from voicebot.model import ModelConfig
    from voicebot.training import DataError, prepare_dataset
    from voicebot.training.sources import parse_source_arg

    if len(args.paths) < 2:
        raise DataError("give at least one SRC speaker folder, then the OUT folder")
    out = Path(args.paths[-1])
    result = prepare_dataset(
        [parse_source_arg(arg) for arg in args.paths[:-1]],
        out,
        sample_rate=args.sample_rate or ModelConfig.small().sample_rate,
        hop_length=args.hop_length or ModelConfig.small().hop_length,
        val_per_speaker=args.val_per_speaker,
        min_seconds=args.min_seconds,
        max_seconds=args.max_seconds,
        progress=not args.quiet,
    )
    for problem in result.problems:
        print(f"skipped {problem}")
    info = result.info
    print(
        f"{out}: {result.train} train + {result.val} val utterances, {info.total_seconds / 60:.1f} min, "
        f"speakers {', '.join(info.speakers)}, {info.sample_rate} Hz; audio or pitch written for "
        f"{result.written} utterances, {len(result.problems)} lines skipped "
        f"(listed in {out / 'problems.txt'})"
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``data`` subcommand (with ``prepare``)."""
    parser = subparsers.add_parser(
        "data", help="prepare speech corpora for training", description=help_text(__doc__)
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    prepare = actions.add_parser(
        "prepare",
        help="convert speaker folders into a training dataset",
        usage="%(prog)s [options] SRC [SRC ...] OUT",
        description="Each SRC is one speaker folder (LJSpeech metadata.csv 'id|text' or JSUT "
        "transcript_utf8.txt 'id:text', audio in wavs/ as wav, flac or mp3); the speaker is the "
        "folder name, or NAME=PATH. Lines that cannot be used are reported, not fatal; re-running "
        "skips audio already converted.",
    )
    prepare.add_argument(
        "paths", nargs="+", metavar="PATH", help="speaker folders (SRC), then the output folder (OUT)"
    )
    prepare.add_argument("--val-per-speaker", type=int, default=60, help="validation utterances per speaker")
    prepare.add_argument("--sample-rate", type=int, help="target rate in Hz (default: the model's, 24000)")
    prepare.add_argument(
        "--hop-length", type=int, help="the model's frame hop, for the pitch tracks (default: 256)"
    )
    prepare.add_argument(
        "--min-seconds", type=float, default=0.3, help="shortest utterance kept after trimming"
    )
    prepare.add_argument("--max-seconds", type=float, default=20.0, help="longest utterance kept")
    prepare.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    prepare.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    prepare.set_defaults(func=_prepare)
