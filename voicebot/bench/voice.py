"""``voicebot bench voice``: a trained voice next to Open JTalk on held-out sentences.

Both voices speak the validation sentences of one speaker of a prepared dataset (``voicebot
data prepare``) in one run, so their RTFs are comparable. The audio is written next to the
reference recordings, ready for a listening test or for an objective score::

    voicebot bench voice --data data/ja --speaker jf_alpha --out eval/
    python quality.py eval/voice --ref eval/reference
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import soundfile
import torch

from voicebot.bench.pitch import PitchScore, compare_pitch
from voicebot.cli.common import init
from voicebot.cli.speak import select_voice
from voicebot.errors import VoicebotError
from voicebot.training.errors import DataError
from voicebot.training.manifest import Utterance, read_manifest
from voicebot.voices import OPENJTALK_NAME, Voice

__all__ = ["VoiceScore", "run", "speak_all"]


@dataclass(frozen=True)
class VoiceScore:
    """Speed and speaking rate of one voice over a set of sentences."""

    name: str
    audio_seconds: float
    rtf: float
    """Total synthesis time over total audio duration (after one warm-up sentence)."""
    duration_ratio: float
    """Median over sentences of generated duration / reference duration (1.0: same rate)."""
    pitch: PitchScore
    """Means over sentences of the F0 RMSE (cents) and voicing error against the recordings."""


def speak_all(
    voice: Voice, utterances: list[Utterance], data: Path, out: Path, speaker: str | None
) -> VoiceScore:
    """Speak every utterance's text with ``voice`` into ``out/<stem>.wav``."""
    out.mkdir(parents=True, exist_ok=True)
    voice.synthesize(utterances[0].text, speaker=speaker)  # lazy initialisation is not synthesis
    busy = seconds = 0.0
    ratios, pitches = [], []
    for utterance in utterances:
        start = time.perf_counter()
        audio = voice.synthesize(utterance.text, speaker=speaker)
        busy += time.perf_counter() - start
        duration = audio.size / voice.sample_rate
        seconds += duration
        recording, rate = soundfile.read(str(data / utterance.audio), dtype="float32")
        ratios.append(duration / (len(recording) / rate))
        pitches.append(compare_pitch(audio, voice.sample_rate, recording, rate))
        soundfile.write(out / f"{Path(utterance.audio).stem}.wav", audio, voice.sample_rate, subtype="PCM_16")
    pitch = PitchScore(
        statistics.fmean(p.rmse_cents for p in pitches), statistics.fmean(p.voicing_error for p in pitches)
    )
    return VoiceScore(voice.name, seconds, busy / max(seconds, 1e-9), statistics.median(ratios), pitch)


def _utterances(data: Path, speaker: str, count: int) -> list[Utterance]:
    held_out = read_manifest(data / "val.tsv")
    chosen = [u for u in held_out if u.speaker == speaker][:count]
    if not chosen:
        speakers = ", ".join(sorted({u.speaker for u in held_out})) or "none"
        raise DataError(
            f"{data / 'val.tsv'} has no validation sentences of speaker {speaker!r}: "
            f"pick one of its speakers with --speaker ({speakers})"
        )
    return chosen


def run(args: argparse.Namespace) -> int:
    """Speak the validation sentences with the voice and with Open JTalk; print both scores."""
    settings = init(args.verbose)
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        utterances = _utterances(args.data, args.speaker, args.count)
        neural = select_voice(settings, args.voice)
        speaker = args.speaker if args.speaker in neural.speakers else None
        reference = args.out / "reference"
        reference.mkdir(parents=True, exist_ok=True)
        for u in utterances:
            shutil.copyfile(args.data / u.audio, reference / Path(u.audio).name)
        scores = [
            speak_all(neural, utterances, args.data, args.out / "voice", speaker),
            speak_all(
                select_voice(settings, OPENJTALK_NAME), utterances, args.data, args.out / "openjtalk", None
            ),
        ]
    except (VoicebotError, OSError) as exc:
        print(f"voicebot bench voice: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{len(utterances)} validation sentences of {args.speaker}, torch threads {torch.get_num_threads()}"
    )
    header = f"{'voice':<12} {'audio s':>8} {'RTF':>7} {'duration ratio':>15}"
    print(f"{header} {'F0 RMSE ¢':>10} {'voicing err':>12}")
    for score in scores:
        print(
            f"{score.name:<12} {score.audio_seconds:8.1f} {score.rtf:7.4f} {score.duration_ratio:15.3f} "
            f"{score.pitch.rmse_cents:10.1f} {score.pitch.voicing_error:12.3f}"
        )
    print(
        f"audio in {args.out}/{{voice,openjtalk,reference}}; "
        "score it with quality.py VOICE_DIR --ref REFERENCE_DIR"
    )
    return 0
