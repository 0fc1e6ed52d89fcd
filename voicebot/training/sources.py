"""Reading speaker folders: LJSpeech-style ``metadata.csv`` or JSUT-style ``transcript_utf8.txt``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from voicebot.training.audio import AUDIO_EXTENSIONS
from voicebot.training.errors import DataError

__all__ = ["Problem", "SourceLine", "parse_source_arg", "read_source"]

_SPEAKER_RE = re.compile(r"^[\w.-]{1,64}$")


@dataclass(frozen=True)
class SourceLine:
    """One transcript line whose audio file exists."""

    speaker: str
    utt_id: str
    text: str
    audio: Path
    file: Path
    line: int


@dataclass(frozen=True)
class Problem:
    """A transcript line that was skipped, and why."""

    file: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


def parse_source_arg(arg: str) -> tuple[str, Path]:
    """``name=path`` or ``path`` (speaker name = folder name) -> (speaker, folder)."""
    name, sep, path = arg.partition("=")
    folder = Path(path if sep else arg)
    speaker = name if sep else folder.resolve().name
    if not _SPEAKER_RE.match(speaker):
        raise DataError(
            f"speaker name {speaker!r} (from {arg!r}) must be 1-64 letters, digits, '.', '_' or '-': "
            "pass NAME=PATH to choose one"
        )
    if not folder.is_dir():
        raise DataError(f"speaker folder {folder} does not exist")
    return speaker, folder


def _transcript(folder: Path) -> tuple[Path, str]:
    for name, separator in (("metadata.csv", "|"), ("transcript_utf8.txt", ":")):
        if (folder / name).is_file():
            return folder / name, separator
    raise DataError(
        f"{folder} has neither metadata.csv (LJSpeech: id|text) nor transcript_utf8.txt (JSUT: id:text)"
    )


def _find_audio(folder: Path, utt_id: str) -> Path | None:
    for ext in AUDIO_EXTENSIONS:
        candidate = folder / "wavs" / f"{utt_id}{ext}"
        if candidate.is_file():
            return candidate
    return None


def read_source(speaker: str, folder: Path) -> tuple[list[SourceLine], list[Problem]]:
    """Parse one speaker folder; malformed lines, empty texts and missing audio become problems.

    LJSpeech lines may carry a third column (normalized text); it is used when not empty.
    """
    path, separator = _transcript(folder)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path} as UTF-8 text: {exc}") from None
    entries: list[SourceLine] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        utt_id, sep, rest = raw.partition(separator)
        utt_id = utt_id.strip()
        columns = rest.split("|") if separator == "|" else [rest]
        text = (columns[1] if len(columns) > 1 and columns[1].strip() else columns[0]).strip()
        if not sep or not utt_id or "/" in utt_id:
            problems.append(Problem(path, number, f"expected 'id{separator}text', got {raw[:60]!r}"))
        elif not text:
            problems.append(Problem(path, number, f"{utt_id}: empty text"))
        elif utt_id in seen:
            problems.append(Problem(path, number, f"{utt_id}: duplicate id"))
        elif (audio := _find_audio(folder, utt_id)) is None:
            problems.append(Problem(path, number, f"{utt_id}: no audio wavs/{utt_id}.(wav|flac|mp3)"))
        else:
            seen.add(utt_id)
            entries.append(SourceLine(speaker, utt_id, text.replace("\t", " "), audio, path, number))
    return entries, problems
