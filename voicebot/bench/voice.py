"""``voicebot bench voice``: a trained voice next to Open JTalk on held-out sentences.

Both voices speak the validation sentences of one speaker of a prepared dataset (``voicebot
data prepare``) in one run, so their RTFs are comparable. The audio is written next to the
reference recordings, each sentence is scored against its recording (MCD, F0, duration; and
DNSMOS when the ``quality`` extra is installed), and ``report.html`` puts the players, the
spectrograms and the tables on one page::

    voicebot bench voice --data data/ja --speaker jf_alpha --out eval/
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch

from voicebot.bench.pitch import PitchScore, compare_pitch
from voicebot.bench.quality import Dnsmos, dnsmos, dnsmos_available, mel_cepstral_distortion
from voicebot.bench.report import SentenceRow, Summary, spectrogram_png, write_report
from voicebot.cli.common import init
from voicebot.cli.speak import select_voice
from voicebot.engine.runtime import bound_kernel_caches, inference, resolve_precision
from voicebot.errors import VoicebotError
from voicebot.training.errors import DataError
from voicebot.training.manifest import Utterance, read_manifest
from voicebot.voices import OPENJTALK_NAME, NeuralVoice, Voice

__all__ = ["SentenceScore", "VoiceScore", "run", "speak_all"]


@dataclass(frozen=True)
class SentenceScore:
    """One sentence of one voice against its recording."""

    stem: str
    duration_ratio: float
    pitch: PitchScore
    mcd_db: float
    dnsmos: Dnsmos | None


@dataclass(frozen=True)
class VoiceScore:
    """Speed, speaking rate and quality of one voice over a set of sentences."""

    name: str
    audio_seconds: float
    rtf: float
    """Total synthesis time over total audio duration (after one warm-up sentence)."""
    duration_ratio: float
    """Median over sentences of generated duration / reference duration (1.0: same rate)."""
    pitch: PitchScore
    """Means over sentences of the F0 RMSE (cents) and voicing error against the recordings."""
    mcd_db: float
    """Mean over sentences of the mel cepstral distortion against the recordings."""
    dnsmos: Dnsmos | None
    """Means over sentences (None without the ``quality`` extra)."""
    sentences: list[SentenceScore]


def _mean_dnsmos(scores: list[Dnsmos | None]) -> Dnsmos | None:
    if not scores or any(s is None for s in scores):
        return None
    return Dnsmos(
        *(statistics.fmean(getattr(s, f) for s in scores) for f in ("sig", "bak", "ovrl", "p808"))  # type: ignore[arg-type]
    )


def speak_all(
    voice: Voice, utterances: list[Utterance], data: Path, out: Path, speaker: str | None
) -> VoiceScore:
    """Speak every utterance's text with ``voice`` into ``out/<stem>.wav`` and score it."""
    out.mkdir(parents=True, exist_ok=True)
    voice.synthesize(utterances[0].text, speaker=speaker)  # lazy initialisation is not synthesis
    scored = dnsmos_available()
    busy = seconds = 0.0
    sentences = []
    for utterance in utterances:
        start = time.perf_counter()
        audio = voice.synthesize(utterance.text, speaker=speaker)
        busy += time.perf_counter() - start
        duration = audio.size / voice.sample_rate
        seconds += duration
        recording, rate = soundfile.read(str(data / utterance.audio), dtype="float32")
        stem = Path(utterance.audio).stem
        sentences.append(
            SentenceScore(
                stem,
                duration / (len(recording) / rate),
                compare_pitch(audio, voice.sample_rate, recording, rate),
                mel_cepstral_distortion(audio, voice.sample_rate, recording, rate),
                dnsmos(audio, voice.sample_rate) if scored else None,
            )
        )
        soundfile.write(out / f"{stem}.wav", audio, voice.sample_rate, subtype="PCM_16")
    pitch = PitchScore(
        statistics.fmean(s.pitch.rmse_cents for s in sentences),
        statistics.fmean(s.pitch.voicing_error for s in sentences),
    )
    return VoiceScore(
        voice.name,
        seconds,
        busy / max(seconds, 1e-9),
        statistics.median(s.duration_ratio for s in sentences),
        pitch,
        statistics.fmean(s.mcd_db for s in sentences),
        _mean_dnsmos([s.dnsmos for s in sentences]),
        sentences,
    )


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
        device = str(neural.device) if isinstance(neural, NeuralVoice) else "cpu"
        dtype = resolve_precision(args.precision or settings.precision, device)
        bound_kernel_caches(dtype)  # as a worker does: its speed is what the bot gets
        reference = args.out / "reference"
        reference.mkdir(parents=True, exist_ok=True)
        for u in utterances:
            shutil.copyfile(args.data / u.audio, reference / Path(u.audio).name)
        with inference(device, dtype):
            ours = speak_all(neural, utterances, args.data, args.out / "voice", speaker)
        scores = [
            ours,
            speak_all(
                select_voice(settings, OPENJTALK_NAME), utterances, args.data, args.out / "openjtalk", None
            ),
        ]
    except (VoicebotError, OSError) as exc:
        print(f"voicebot bench voice: error: {exc}", file=sys.stderr)
        return 1
    _report(args.out, args.speaker, utterances, scores)
    print(
        f"{len(utterances)} validation sentences of {args.speaker}, torch threads {torch.get_num_threads()}, "
        f"{neural.name} in {dtype}"
    )
    header = f"{'voice':<12} {'audio s':>8} {'RTF':>7} {'duration ratio':>15}"
    print(f"{header} {'F0 RMSE ¢':>10} {'voicing err':>12} {'MCD dB':>7} {'P.808':>6} {'OVRL':>6}")
    for score in scores:
        mos = score.dnsmos
        print(
            f"{score.name:<12} {score.audio_seconds:8.1f} {score.rtf:7.4f} {score.duration_ratio:15.3f} "
            f"{score.pitch.rmse_cents:10.1f} {score.pitch.voicing_error:12.3f} {score.mcd_db:7.2f} "
            f"{mos.p808 if mos else float('nan'):6.2f} {mos.ovrl if mos else float('nan'):6.2f}"
        )
    print(f"audio in {args.out}/{{voice,openjtalk,reference}}; report: {args.out / 'report.html'}")
    if not dnsmos_available():
        print(f"DNSMOS left out: {_NO_DNSMOS}")
    return 0


_NO_DNSMOS = "install the quality extra for DNSMOS: .venv/bin/pip install -e '.[quality]'"


def _report(out: Path, speaker: str, utterances: list[Utterance], scores: list[VoiceScore]) -> None:
    """Write ``out/report.html`` and its spectrograms for the voice and Open JTalk."""
    voice, jtalk = scores
    folder = out / "spectrograms"
    folder.mkdir(exist_ok=True)
    scored = dnsmos_available()
    reference_mos: list[Dnsmos | None] = []
    rows = []
    for utterance, ours, theirs in zip(utterances, voice.sentences, jtalk.sentences, strict=True):
        stem, path = ours.stem, out / "reference" / Path(utterance.audio).name
        audios = [_read(path), _read(out / "voice" / f"{stem}.wav"), _read(out / "openjtalk" / f"{stem}.wav")]
        spectrogram_png(folder / f"{stem}.png", audios)
        mos = dnsmos(*audios[0]) if scored else None
        reference_mos.append(mos)
        notes = [f"OVRL {mos.ovrl:.2f}" if mos else ""]
        for s in (ours, theirs):
            quality = f"OVRL {s.dnsmos.ovrl:.2f}, " if s.dnsmos else ""
            notes.append(
                f"{quality}MCD {s.mcd_db:.2f} dB, F0 {s.pitch.rmse_cents:.0f} ¢, ×{s.duration_ratio:.2f}"
            )
        files = [f"reference/{path.name}", f"voice/{stem}.wav", f"openjtalk/{stem}.wav"]
        rows.append(SentenceRow(stem, utterance.text, files, notes))
    summaries = [
        Summary("recordings", None, 1.0, None, None, None, _mean_dnsmos(reference_mos)),
        *(
            Summary(
                s.name,
                s.rtf,
                s.duration_ratio,
                s.mcd_db,
                s.pitch.rmse_cents,
                s.pitch.voicing_error,
                s.dnsmos,
            )
            for s in scores
        ),
    ]
    write_report(
        out / "report.html",
        f"voicebot bench voice: {voice.name} and Open JTalk, {len(utterances)} sentences of {speaker}",
        summaries,
        rows,
        ["recording", voice.name, "Open JTalk"],
        None if scored else f"DNSMOS left out: {_NO_DNSMOS}",
    )


def _read(path: Path) -> tuple[np.ndarray, int]:
    audio, rate = soundfile.read(str(path), dtype="float32")
    return audio, rate
