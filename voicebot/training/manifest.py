"""The prepared dataset on disk: ``train.tsv``, ``val.tsv`` and ``dataset.json``.

A manifest line is ``audio<TAB>speaker<TAB>samples<TAB>phonemes<TAB>text`` with a header
line; ``audio`` is relative to the dataset folder and ``phonemes`` is space separated, so the
ids are derived at load time from whatever symbol table the model uses.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from voicebot.training.errors import DataError

__all__ = ["DatasetInfo", "Utterance", "read_info", "read_manifest", "write_info", "write_manifest"]

_HEADER = "audio\tspeaker\tsamples\tphonemes\ttext"
INFO_FORMAT = 1


@dataclass(frozen=True)
class Utterance:
    """One prepared utterance: a 16-bit WAV at the dataset's sample rate and its phonemes."""

    audio: str
    speaker: str
    samples: int
    phonemes: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class DatasetInfo:
    """``dataset.json``: what a prepared dataset holds; ``hop_length`` is the frame hop of its
    pitch tracks (``pitch/SPEAKER/ID.npy``, see :mod:`voicebot.training.pitch`)."""

    sample_rate: int
    symbol_table_version: int
    speakers: list[str]
    counts: dict[str, dict[str, int]]
    total_seconds: float
    sources: dict[str, str] = field(default_factory=dict)
    skipped: int = 0
    format: int = INFO_FORMAT
    hop_length: int | None = None
    pitch: dict[str, list[float]] = field(default_factory=dict)
    """Per speaker, [mean, std] of log-F0 (Hz) over voiced frames; empty for a folder prepared
    before pitch existed (``voicebot data prepare`` again adds it)."""


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_manifest(path: Path, utterances: list[Utterance]) -> None:
    """Write a manifest (atomically)."""
    lines = [_HEADER]
    lines += [f"{u.audio}\t{u.speaker}\t{u.samples}\t{' '.join(u.phonemes)}\t{u.text}" for u in utterances]
    _atomic_write(path, "\n".join(lines) + "\n")


def read_manifest(path: Path) -> list[Utterance]:
    """Read a manifest written by :func:`write_manifest`; raise :class:`DataError` if malformed."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        raise DataError(f"{path} is missing: run `voicebot data prepare` first") from None
    if not lines or lines[0] != _HEADER:
        raise DataError(f"{path} is not a voicebot manifest: re-run `voicebot data prepare`")
    utterances = []
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split("\t")
        if len(parts) != 5 or not parts[2].isdigit():
            raise DataError(f"{path}:{number}: malformed line: re-run `voicebot data prepare`")
        audio, speaker, samples, phonemes, text = parts
        utterances.append(Utterance(audio, speaker, int(samples), tuple(phonemes.split()), text))
    return utterances


def write_info(path: Path, info: DatasetInfo) -> None:
    """Write ``dataset.json`` (atomically)."""
    _atomic_write(path, json.dumps(asdict(info), indent=2, ensure_ascii=False) + "\n")


def read_info(path: Path) -> DatasetInfo:
    """Read ``dataset.json``; raise :class:`DataError` if missing or from another format."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        info = DatasetInfo(**data)
    except OSError:
        raise DataError(
            f"{path} is missing: run `voicebot data prepare SRC ... {path.parent}` first"
        ) from None
    except (ValueError, TypeError) as exc:
        raise DataError(f"{path} is unreadable ({exc}): re-run `voicebot data prepare`") from None
    if info.format != INFO_FORMAT:
        raise DataError(f"{path} has format {info.format}, expected {INFO_FORMAT}: re-run data prepare")
    return info
