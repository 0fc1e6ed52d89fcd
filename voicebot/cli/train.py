"""``voicebot train``: train or fine-tune a voice; rerun the same command to resume.

Examples::

    voicebot train --data data/ja --run runs/ja-small
    voicebot train --data data/ja --run runs/ja-large --config voicebot/training/configs/large.toml \\
        --device cuda --time-limit 25
    voicebot train --data data/mine --run runs/mine --init-from models/default.safetensors --steps 20000

Ctrl-C (or SIGTERM, or the time limit) saves a checkpoint and exits; TensorBoard logs are in
RUN/logs (``tensorboard --logdir RUN/logs``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from voicebot.cli.common import help_text, init, positive_int

__all__ = ["register"]

# Stopped by a signal: the shell convention 128 + signal number, after a clean save.
_EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}


def _train(args: argparse.Namespace) -> int:
    init(args.verbose)
    from voicebot.training import TrainOptions, train

    result = train(
        TrainOptions(
            data=args.data,
            run=args.run,
            config=args.config,
            init_from=args.init_from,
            device=args.device,
            steps=args.steps,
            batch_size=args.batch_size,
            num_workers=args.workers,
            time_limit_minutes=args.time_limit,
            progress=not args.quiet,
        )
    )
    speed = f", {result.seconds_per_step:.2f} s/step" if result.seconds_per_step else ""
    saved = result.checkpoint or "unchanged"
    print(f"{args.run}: step {result.step} ({result.stopped}{speed}); checkpoint {saved}")
    return _EXIT_CODES.get(result.stopped, 0)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` subcommand."""
    parser = subparsers.add_parser(
        "train",
        help="train or fine-tune a voice (rerun to resume)",
        description=help_text(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data", type=Path, required=True, help="folder made by `voicebot data prepare`")
    parser.add_argument("--run", type=Path, required=True, help="run folder (checkpoints, logs, config)")
    parser.add_argument(
        "--config", type=Path, help="TOML config (default: small.toml; a resumed run keeps its own)"
    )
    parser.add_argument(
        "--init-from", type=Path, metavar="VOICE", help="fine-tune from a voice file (new runs)"
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="where to train")
    parser.add_argument("--steps", type=positive_int, help="train until this global step (config: max_steps)")
    parser.add_argument("--batch-size", type=positive_int, help="utterances per step (may change on resume)")
    parser.add_argument("--workers", type=int, help="DataLoader worker processes (config: num_workers)")
    parser.add_argument(
        "--time-limit", type=float, metavar="MINUTES", help="checkpoint and stop after this long"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.set_defaults(func=_train)
