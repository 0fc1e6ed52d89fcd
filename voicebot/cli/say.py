"""``voicebot say``: speak a sentence into a WAV file, without Discord.

The text goes through the same frontend as chat messages. With no neural voice installed yet
the classic Open JTalk voice speaks, so this works right after installation.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import soundfile
import torch

from voicebot.cli.common import init
from voicebot.config import ENV_PREFIX, Settings
from voicebot.engine import UnknownVoice
from voicebot.text import NormalizeOptions, normalize
from voicebot.voices import (
    OPENJTALK_NAME,
    VOICE_SUFFIX,
    NeuralVoice,
    OpenJTalkVoice,
    Voice,
    VoiceFileError,
    discover_voices,
    read_voice_file,
)

__all__ = ["register", "select_voice"]

_WARM_UP = "あ。"


def _device(settings: Settings) -> str:
    if settings.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return settings.device


def select_voice(settings: Settings, requested: str | None) -> Voice:
    """The voice to speak with: ``requested`` (a name, a ``.safetensors`` path or ``openjtalk``),
    else the default voice, else Open JTalk with a notice on stderr.

    Raises:
        UnknownVoice: an explicitly requested name is not in the models folder.
        VoiceFileError: the voice file is refused.
    """
    name = requested or settings.default_voice
    if name == OPENJTALK_NAME:
        return OpenJTalkVoice()
    if requested and (requested.endswith(VOICE_SUFFIX) or "/" in requested):
        return NeuralVoice.load(Path(requested), device=_device(settings))
    voices = discover_voices(settings.models_dir)
    if name in voices:
        return NeuralVoice.load(voices[name], device=_device(settings))
    if requested:
        known = ", ".join([*voices, OPENJTALK_NAME])
        raise UnknownVoice(f"no voice {name!r} in {settings.models_dir}: the voices are {known}")
    print(
        f"note: no neural voice {name!r} in {settings.models_dir} yet, speaking with the Open JTalk voice "
        f"(install a voice file there or set {ENV_PREFIX}DEFAULT_VOICE)",
        file=sys.stderr,
    )
    return OpenJTalkVoice()


def _list(settings: Settings) -> int:
    jtalk = OpenJTalkVoice()
    print(f"{jtalk.name}: {jtalk.display_name}, speakers: {', '.join(jtalk.speakers)} (built in)")
    for name, path in discover_voices(settings.models_dir).items():
        try:
            _, meta = read_voice_file(path)
        except VoiceFileError as exc:
            print(f"{name}: refused: {exc}")
            continue
        marker = " (default)" if name == settings.default_voice else ""
        print(f"{name}: {meta.display_name}, speakers: {', '.join(meta.speakers)}{marker}")
    return 0


def _main(args: argparse.Namespace) -> int:
    settings = init(args.verbose)
    if args.list:
        return _list(settings)
    if args.text is None:
        print("voicebot say: error: give the TEXT to speak, or --list", file=sys.stderr)
        return 2
    if settings.torch_threads:
        torch.set_num_threads(settings.torch_threads)
    text = normalize(args.text, NormalizeOptions(max_chars=settings.max_chars))
    voice = select_voice(settings, args.voice)
    # The first call pays for lazy initialisation (seconds for a neural voice), which would make
    # the RTF of a short sentence meaningless.
    voice.synthesize(_WARM_UP, speaker=args.speaker)
    start = time.perf_counter()
    audio = voice.synthesize(text, speaker=args.speaker, speed=args.speed)
    elapsed = time.perf_counter() - start
    if audio.size == 0:
        print(f"voicebot say: nothing to say in {args.text!r}", file=sys.stderr)
        return 1
    try:
        soundfile.write(args.output, audio, voice.sample_rate, subtype="PCM_16", format="WAV")
    except (OSError, soundfile.LibsndfileError) as exc:
        print(f"voicebot say: error: cannot write {args.output}: {exc}", file=sys.stderr)
        return 1
    duration = audio.size / voice.sample_rate
    speaker = voice.resolve_speaker(args.speaker)
    print(
        f"{args.output}: {duration:.2f} s at {voice.sample_rate} Hz, voice {voice.name} ({speaker}), "
        f"RTF {elapsed / duration:.3f} (after a warm-up)"
    )
    return 0


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
        help=f"voice name in the models folder, a {VOICE_SUFFIX} path, or {OPENJTALK_NAME} "
        f"(default: {ENV_PREFIX}DEFAULT_VOICE)",
    )
    parser.add_argument("--speaker", help="speaker of the voice (default: the voice's default speaker)")
    parser.add_argument("--speed", type=float, default=1.0, help="speaking speed, 0.5 to 2.0 (default: 1.0)")
    parser.add_argument("--list", action="store_true", help="list the voices and their speakers, then exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.set_defaults(func=_main)
