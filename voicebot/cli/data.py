"""``voicebot data prepare SRC [SRC ...] OUT``: speaker folders -> a training dataset;
``voicebot data sample OUT``: a small speaker folder to try training with.

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


def _sample(args: argparse.Namespace) -> int:
    init(args.verbose)
    from tqdm import tqdm

    from voicebot.training.sample import write_sample_corpus

    out = Path(args.out)
    written = write_sample_corpus(out, args.sentences)
    for _ in tqdm(written, total=args.sentences, unit="sentence", disable=args.quiet):
        pass
    print(
        f"{out}: {args.sentences} ITA sentences spoken by Open JTalk (metadata.csv, wavs/); next: "
        f"voicebot data prepare {out} data/{out.name} --val-per-speaker 4"
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

    sample = actions.add_parser(
        "sample",
        help="make a small speaker folder (Open JTalk reading ITA sentences) to try training",
        description="Write OUT/metadata.csv and OUT/wavs/ with the first N sentences of the "
        "public-domain ITA corpus spoken by Open JTalk, all offline; re-running keeps the audio "
        "already written. A voice trained on it imitates Open JTalk: it is for trying every "
        "step (prepare, train, export, say) before recording your own corpus.",
    )
    sample.add_argument("out", metavar="OUT", help="speaker folder to write (new or empty)")
    sample.add_argument(
        "--sentences", type=int, default=40, metavar="N", help="how many sentences, 1 to 424 (default: 40)"
    )
    sample.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sample.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sample.set_defaults(func=_sample)
