"""``data prepare``: speaker folders -> clean 16-bit WAVs, pitch, phonemes and a fixed train/val split.

Every line that cannot be used is reported with its file and line number instead of stopping
the run. Re-running skips the WAVs and pitch tracks that are already written, so an
interrupted prepare resumes, and a folder prepared before pitch existed gains it without
redoing its audio.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from voicebot.text import SYMBOL_TABLE_VERSION, SYMBOLS, g2p, normalize
from voicebot.training.audio import load_audio, normalize_loudness, trim_silence, write_wav
from voicebot.training.errors import DataError
from voicebot.training.manifest import DatasetInfo, Utterance, write_info, write_manifest
from voicebot.training.pitch import extract_f0, pitch_path, read_f0, speaker_statistics, write_f0
from voicebot.training.sources import Problem, SourceLine, read_source

__all__ = ["PrepareResult", "prepare_dataset"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrepareResult:
    """What a prepare run produced."""

    info: DatasetInfo
    train: int
    val: int
    written: int
    problems: list[Problem]


def _phonemes(entry: SourceLine) -> tuple[str, ...]:
    symbols = tuple(g2p(normalize(entry.text)))
    unknown = sorted(set(symbols) - set(SYMBOLS))
    if unknown:
        raise DataError(f"{entry.utt_id}: frontend produced symbols missing from the table: {unknown}")
    if not any(s.isalpha() for s in symbols):
        raise DataError(f"{entry.utt_id}: no speakable text in {entry.text[:40]!r}")
    return symbols


def _audio(
    entry: SourceLine, target: Path, sample_rate: int, limits: tuple[float, float]
) -> tuple[int, bool]:
    """(samples, written): reuse ``target`` when a previous run made it at this sample rate."""
    written = False
    try:
        info = sf.info(str(target))
        samples = info.frames if info.samplerate == sample_rate else -1
    except (sf.LibsndfileError, RuntimeError, OSError):
        samples = -1
    if samples < 0:
        audio = trim_silence(load_audio(entry.audio, sample_rate), sample_rate)
        samples = len(audio)
        if limits[0] <= samples / sample_rate <= limits[1]:
            write_wav(target, normalize_loudness(audio, sample_rate), sample_rate)
            written = True
    seconds = samples / sample_rate
    if not limits[0] <= seconds <= limits[1]:
        raise DataError(
            f"{entry.utt_id}: {seconds:.2f} s of speech after trimming, outside {limits[0]}-{limits[1]} s"
        )
    return samples, written


def _pitch(out: Path, audio: str, samples: int, sample_rate: int, hop_length: int) -> tuple[np.ndarray, bool]:
    """(F0 per frame, written): reuse the pitch file of ``audio`` when it matches its frame count."""
    target, frames = out / pitch_path(audio), samples // hop_length
    if target.is_file():
        try:
            return read_f0(target, frames), False
        except DataError:
            pass  # from an older prepare or a killed run: extract again
    try:
        wav, _ = sf.read(str(out / audio), dtype="float32")
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise DataError(f"cannot read {audio} for pitch extraction: {exc}") from None
    f0 = extract_f0(wav, sample_rate, hop_length)
    write_f0(target, f0)
    return f0, True


def _split(utterances: list[Utterance], val_per_speaker: int) -> tuple[list[Utterance], list[Utterance]]:
    """Per speaker, the ``val_per_speaker`` utterances with the smallest id hash (at most half).

    Hashing ids keeps the validation set fixed when lines are added or reordered.
    """
    by_speaker: dict[str, list[Utterance]] = defaultdict(list)
    for u in utterances:
        by_speaker[u.speaker].append(u)
    val_ids: set[str] = set()
    for speaker, items in by_speaker.items():
        count = min(val_per_speaker, len(items) // 2)
        if count < val_per_speaker:
            _log.warning("%s: only %d validation utterances (of %d)", speaker, count, len(items))
        ranked = sorted(items, key=lambda u: hashlib.sha1(u.audio.encode()).hexdigest())
        val_ids.update(u.audio for u in ranked[:count])
    train = [u for u in utterances if u.audio not in val_ids]
    return train, [u for u in utterances if u.audio in val_ids]


def _pitch_statistics(tracks: dict[str, list[np.ndarray]]) -> dict[str, list[float]]:
    """Per speaker, [mean, std] of log-F0 over voiced frames; speakers with none are left out
    (and logged: their voice cannot learn pitch)."""
    stats = {}
    for speaker, items in tracks.items():
        try:
            stats[speaker] = [round(v, 5) for v in speaker_statistics(items)]
        except DataError as exc:
            _log.warning("%s: %s", speaker, exc)
    return stats


def prepare_dataset(
    sources: list[tuple[str, Path]],
    out: Path,
    sample_rate: int,
    val_per_speaker: int = 60,
    min_seconds: float = 0.3,
    max_seconds: float = 20.0,
    progress: bool = True,
    hop_length: int = 256,
) -> PrepareResult:
    """Prepare ``sources`` (speaker name, folder) into ``out``; see the module docstring.

    ``hop_length`` is the model's frame hop, the rate of the pitch tracks.
    """
    speakers = [name for name, _ in sources]
    if len(set(speakers)) != len(speakers):
        raise DataError(f"speaker names must differ, got {speakers}: use NAME=PATH to rename one")
    entries: list[SourceLine] = []
    problems: list[Problem] = []
    for speaker, folder in sources:
        found, bad = read_source(speaker, folder)
        entries += found
        problems += bad
    out.mkdir(parents=True, exist_ok=True)
    utterances: list[Utterance] = []
    tracks: dict[str, list[np.ndarray]] = defaultdict(list)
    written = 0
    for entry in tqdm(entries, desc="prepare", unit="utt", disable=not progress):
        relative = f"wavs/{entry.speaker}/{entry.utt_id}.wav"
        try:
            phonemes = _phonemes(entry)
            samples, fresh = _audio(entry, out / relative, sample_rate, (min_seconds, max_seconds))
            f0, fresh_pitch = _pitch(out, relative, samples, sample_rate, hop_length)
        except DataError as exc:
            problems.append(Problem(entry.file, entry.line, str(exc)))
            continue
        written += fresh or fresh_pitch
        tracks[entry.speaker].append(f0)
        utterances.append(Utterance(relative, entry.speaker, samples, phonemes, entry.text))
    if not utterances:
        raise DataError("no usable utterance in the sources: " + "; ".join(map(str, problems[:5])))
    train, val = _split(utterances, val_per_speaker)
    counts = {
        s: {"train": sum(u.speaker == s for u in train), "val": sum(u.speaker == s for u in val)}
        for s in speakers
    }
    info = DatasetInfo(
        sample_rate=sample_rate,
        symbol_table_version=SYMBOL_TABLE_VERSION,
        speakers=speakers,
        counts=counts,
        total_seconds=round(sum(u.samples for u in utterances) / sample_rate, 2),
        sources={name: str(folder.resolve()) for name, folder in sources},
        skipped=len(problems),
        hop_length=hop_length,
        pitch=_pitch_statistics(tracks),
    )
    write_manifest(out / "train.tsv", train)
    write_manifest(out / "val.tsv", val)
    write_info(out / "dataset.json", info)
    (out / "problems.txt").write_text("".join(f"{p}\n" for p in problems), encoding="utf-8")
    return PrepareResult(info, len(train), len(val), written, problems)
