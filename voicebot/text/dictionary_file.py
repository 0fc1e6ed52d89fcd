"""Dictionary files: what ``/dict export`` writes and ``/dict import`` and ``voicebot dict import``
read. JSON (a list of ``{"word": ..., "reading": ...}``, or one object ``{word: reading}``) or
CSV (``word,reading`` per line, an optional header). Parsing checks every line and says why it
skips one; it never half-applies anything (the caller stores all entries or none).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

from voicebot.text.dictionary import DictEntry

__all__ = ["MAX_FILE_BYTES", "DictionaryFileError", "ParsedDictionary", "dump_dictionary", "parse_dictionary"]

MAX_FILE_BYTES = 256 * 1024


class DictionaryFileError(ValueError):
    """The file cannot be read as a dictionary at all (not just some of its lines)."""


@dataclass(frozen=True)
class ParsedDictionary:
    """The usable entries of a file and, per skipped line, why (``"line 3: ..."``)."""

    entries: list[DictEntry]
    skipped: list[str]


def dump_dictionary(entries: list[DictEntry]) -> bytes:
    """The entries as pretty JSON (UTF-8), as ``/dict export`` writes them."""
    rows = [{"word": e.pattern, "reading": e.reading} for e in entries]
    return json.dumps(rows, ensure_ascii=False, indent=1).encode("utf-8")


def _check(word: object, reading: object, where: str, limits: tuple[int, int]) -> DictEntry | str:
    if not isinstance(word, str) or not isinstance(reading, str):
        return f"{where}: word and reading must be text"
    word, reading = word.strip(), reading.strip()
    if not 0 < len(word) <= limits[0]:
        return f"{where}: the word must be 1 to {limits[0]} characters"
    if not 0 < len(reading) <= limits[1]:
        return f"{where}: the reading must be 1 to {limits[1]} characters"
    return DictEntry(word, reading)


def parse_dictionary(data: bytes, name: str, limits: tuple[int, int]) -> ParsedDictionary:
    """Read a dictionary file named ``name`` (``.csv`` is CSV, anything else JSON first).

    Args:
        limits: (longest word, longest reading).

    Raises:
        DictionaryFileError: too large, not UTF-8, or neither JSON nor CSV of the expected shape.
    """
    if len(data) > MAX_FILE_BYTES:
        raise DictionaryFileError(f"the file is over {MAX_FILE_BYTES // 1024} KB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DictionaryFileError("the file is not UTF-8 text") from None
    entries: list[DictEntry] = []
    skipped: list[str] = []

    def keep(result: DictEntry | str) -> None:
        (entries if isinstance(result, DictEntry) else skipped).append(result)  # type: ignore[arg-type]

    if not name.lower().endswith(".csv"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            loaded = None
        if isinstance(loaded, dict):
            for index, (word, reading) in enumerate(loaded.items(), start=1):
                keep(_check(word, reading, f"entry {index}", limits))
            return ParsedDictionary(entries, skipped)
        if isinstance(loaded, list):
            for index, row in enumerate(loaded, start=1):
                if isinstance(row, dict):
                    keep(_check(row.get("word"), row.get("reading"), f"entry {index}", limits))
                else:
                    skipped.append(f'entry {index}: expected {{"word": ..., "reading": ...}}')
            return ParsedDictionary(entries, skipped)
        if name.lower().endswith(".json"):
            raise DictionaryFileError('not JSON of the expected shape: [{"word": ..., "reading": ...}]')
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if number == 1 and [c.strip().lower() for c in row[:2]] in (["word", "reading"], ["単語", "読み"]):
            continue
        if len(row) != 2:
            skipped.append(f"line {number}: expected word,reading")
            continue
        keep(_check(row[0], row[1], f"line {number}", limits))
    if not entries and not skipped:
        raise DictionaryFileError("the file holds no entries")
    return ParsedDictionary(entries, skipped)
