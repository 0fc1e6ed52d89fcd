"""What ``voicebot say`` runs: pick a voice, speak normalized text, write a WAV file.

Kept apart from :mod:`voicebot.cli.say` so that building the argument parser imports
neither torch nor the voices.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

from voicebot.audio.resample import StreamResampler
from voicebot.cli.common import init
from voicebot.config import ENV_PREFIX, Settings
from voicebot.engine import UnknownVoice
from voicebot.text import NormalizeOptions, normalize
from voicebot.voices import (
    MAX_SPEED,
    MIN_SPEED,
    OPENJTALK_NAME,
    VOICE_SUFFIX,
    NeuralVoice,
    OpenJTalkVoice,
    Voice,
    VoiceFileError,
    check_pitch_range,
    discover_voices,
    nested_voices,
    read_voice_file,
)

__all__ = ["run", "select_voice"]

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
    if requested and requested.endswith(VOICE_SUFFIX):
        return NeuralVoice.load(Path(requested), device=_device(settings))
    aside = nested_voices(settings.models_dir)
    voices = {**discover_voices(settings.models_dir), **aside}
    if name in voices:
        return NeuralVoice.load(voices[name], device=_device(settings))
    if requested:
        known = ", ".join([*voices, OPENJTALK_NAME])
        raise UnknownVoice(f"no voice {name!r} in {settings.models_dir}: the voices are {known}")
    hint = f"; to hear a voice kept aside there: {', '.join(f'--voice {n}' for n in aside)}" if aside else ""
    print(
        f"note: no neural voice {name!r} in {settings.models_dir} yet, speaking with the Open JTalk voice "
        f"(install a voice file there or set {ENV_PREFIX}DEFAULT_VOICE{hint})",
        file=sys.stderr,
    )
    return OpenJTalkVoice()


def _list(settings: Settings) -> int:
    jtalk = OpenJTalkVoice()
    print(f"{jtalk.name}: {jtalk.display_name}, speakers: {', '.join(jtalk.speakers)} (built in)")
    served = discover_voices(settings.models_dir)
    for name, path in [*served.items(), *nested_voices(settings.models_dir).items()]:
        try:
            _, meta = read_voice_file(path)
        except VoiceFileError as exc:
            print(f"{name}: refused: {exc}")
            continue
        marker = " (default)" if name == settings.default_voice else ""
        if name not in served:
            marker = " (kept aside: `say` only, the bot does not serve it)"
        print(f"{name}: {meta.display_name}, speakers: {', '.join(meta.speakers)}{marker}")
    return 0


def _output_problem(path: Path) -> str | None:
    """Why ``path`` cannot be written as a WAV file, checked before any speech is synthesized."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        return f"{path} is a folder: give a file name, such as {path / 'say.wav'}"
    if not folder.is_dir():
        return f"cannot write {path}: the folder {folder} does not exist (create it first)"
    if os.statvfs(folder).f_flag & os.ST_RDONLY:
        return f"cannot write {path}: {folder} is on a read-only file system"
    if not os.access(folder, os.W_OK):
        return f"cannot write {path}: no permission to write in {folder}"
    if path.exists() and not os.access(path, os.W_OK):
        return f"cannot write {path}: the file exists and is read-only"
    return None


def run(args: argparse.Namespace) -> int:
    """Speak ``args.text`` into ``args.output`` (or list the voices with ``args.list``); the exit code."""
    settings = init(args.verbose)
    if args.list:
        return _list(settings)
    if args.text is None:
        print("voicebot say: error: give the TEXT to speak, or --list", file=sys.stderr)
        return 2
    problem = _output_problem(args.output)
    if problem is None and not MIN_SPEED <= args.speed <= MAX_SPEED:
        problem = f"--speed must be between {MIN_SPEED} and {MAX_SPEED} (got {args.speed:g})"
    if problem is not None:
        print(f"voicebot say: error: {problem}", file=sys.stderr)
        return 2
    if settings.torch_threads:
        torch.set_num_threads(settings.torch_threads)
    if len(args.text) > settings.max_chars:
        print(
            f"note: the text has {len(args.text)} characters, over the {settings.max_chars} that are read "
            f"(then 「以下略」); raise {ENV_PREFIX}MAX_CHARS to read more",
            file=sys.stderr,
        )
    text = normalize(args.text, NormalizeOptions(max_chars=settings.max_chars))
    check_pitch_range(args.pitch, args.intonation)  # before loading a voice: a typo fails fast
    voice = select_voice(settings, args.voice)
    # The first call pays for lazy initialisation (seconds for a neural voice), which would make
    # the RTF of a short sentence meaningless.
    voice.synthesize(_WARM_UP, speaker=args.speaker)
    start = time.perf_counter()
    audio = voice.synthesize(
        text, speaker=args.speaker, speed=args.speed, pitch=args.pitch, intonation=args.intonation
    )
    elapsed = time.perf_counter() - start
    if audio.size == 0:
        print(f"voicebot say: nothing to say in {args.text!r}", file=sys.stderr)
        return 1
    rate = args.sample_rate or voice.sample_rate
    if rate != voice.sample_rate:
        resampler = StreamResampler(voice.sample_rate, rate)
        audio = np.concatenate([resampler.process(audio), resampler.flush()])
    try:
        soundfile.write(args.output, audio, rate, subtype="PCM_16", format="WAV")
    except (OSError, soundfile.LibsndfileError) as exc:
        print(f"voicebot say: error: cannot write {args.output}: {exc}", file=sys.stderr)
        return 1
    duration = audio.size / rate
    speaker = voice.resolve_speaker(args.speaker)
    print(
        f"{args.output}: {duration:.2f} s at {rate} Hz, voice {voice.name} ({speaker}), "
        f"RTF {elapsed / duration:.3f} (after a warm-up)"
    )
    return 0
