"""Strict parser of the safetensors container, run before any library touches the bytes.

Layout: an 8-byte little-endian header length ``N``, ``N`` bytes of UTF-8 JSON mapping each
tensor name to ``{"dtype", "shape", "data_offsets"}`` (plus an optional ``__metadata__``
object of strings), then the tensor data. Offsets are relative to the start of the data.
Everything a hostile file could bend is checked here: the length itself, the encoding, the
JSON, every entry, and that the tensors tile the data exactly, with no gap, overlap or
trailing bytes.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any

from voicebot.voices.errors import NotAVoiceFile, VoiceFileCorrupt
from voicebot.voices.strict_json import StrictJSONError, strict_json_loads

__all__ = [
    "DTYPE_SIZES",
    "FLOAT_DTYPES",
    "MAX_HEADER_BYTES",
    "SafetensorsHeader",
    "TensorEntry",
    "parse_header",
    "refuse_foreign_format",
]

# Same cap as the safetensors library: a real header is a few hundred kB at most.
MAX_HEADER_BYTES = 100_000_000

# The only dtypes a voice file may hold, with their sizes in bytes.
DTYPE_SIZES: dict[str, int] = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "BOOL": 1}
FLOAT_DTYPES = frozenset({"F32", "F16", "BF16"})

_CONVERT_HINT = "this is a PyTorch pickle checkpoint, not a voice file: convert it with `voicebot export`"
_ENTRY_KEYS = {"dtype", "shape", "data_offsets"}


@dataclass(frozen=True)
class TensorEntry:
    """One tensor as the header describes it; ``begin``/``end`` are byte offsets into the data."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class SafetensorsHeader:
    """A validated header: tensors in data order, metadata, and where the data starts."""

    tensors: dict[str, TensorEntry]
    metadata: dict[str, str]
    data_start: int


def refuse_foreign_format(data: bytes, source: str) -> None:
    """Raise :class:`NotAVoiceFile` if ``data`` starts like a pickle or a zip archive.

    ``torch.save`` writes a zip archive holding a pickle (or, in old versions, a bare pickle of
    protocol 2 or later); both would run code when loaded, so they are named and refused.
    """
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise NotAVoiceFile(f"{source}: {_CONVERT_HINT} (it starts like a Python pickle)")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        raise NotAVoiceFile(f"{source}: {_CONVERT_HINT} (it is a zip archive, as torch.save writes)")


def _corrupt(source: str, problem: str) -> VoiceFileCorrupt:
    return VoiceFileCorrupt(f"{source}: damaged or hostile safetensors file: {problem}; use another copy")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_entry(name: str, value: Any, source: str) -> TensorEntry:
    if not name:
        raise _corrupt(source, "a tensor has an empty name")
    if not isinstance(value, dict) or set(value) != _ENTRY_KEYS:
        raise _corrupt(source, f"tensor {name!r} must have exactly the keys dtype, shape and data_offsets")
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if not isinstance(dtype, str) or dtype not in DTYPE_SIZES:
        allowed = ", ".join(DTYPE_SIZES)
        raise _corrupt(source, f"tensor {name!r} has dtype {dtype!r}, not one of {allowed}")
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise _corrupt(source, f"tensor {name!r} has shape {shape!r}, not a list of sizes")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)):
        raise _corrupt(source, f"tensor {name!r} has data_offsets {offsets!r}, not [begin, end]")
    begin, end = offsets
    if not 0 <= begin <= end:
        raise _corrupt(source, f"tensor {name!r} has data_offsets [{begin}, {end}] out of order")
    expected = math.prod(shape) * DTYPE_SIZES[dtype]
    if end - begin != expected:
        raise _corrupt(
            source,
            f"tensor {name!r} of shape {shape} and dtype {dtype} needs {expected} bytes "
            f"but its data_offsets span {end - begin}",
        )
    return TensorEntry(name, dtype, tuple(shape), begin, end)


def _parse_metadata(value: Any, source: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _corrupt(source, "__metadata__ is not an object")
    for key, item in value.items():
        if not isinstance(item, str):
            raise _corrupt(source, f"__metadata__ value {key!r} is not a string")
    return value


def _check_tiling(entries: list[TensorEntry], data_length: int, source: str) -> None:
    for entry in entries:
        if entry.end > data_length:
            raise _corrupt(
                source,
                f"tensor {entry.name!r} ends at byte {entry.end}, "
                f"past the end of the data ({data_length} bytes)",
            )
    position, previous = 0, None
    for entry in sorted(entries, key=lambda e: (e.begin, e.end)):
        if entry.begin < position:
            raise _corrupt(source, f"tensors {previous!r} and {entry.name!r} overlap")
        if entry.begin > position:
            raise _corrupt(
                source, f"gap of {entry.begin - position} unused bytes before tensor {entry.name!r}"
            )
        position, previous = entry.end, entry.name
    if position != data_length:
        raise _corrupt(source, f"{data_length - position} trailing bytes after the last tensor")


def parse_header(data: bytes, source: str) -> SafetensorsHeader:
    """Parse and validate the safetensors header of the whole file ``data``.

    Args:
        data: every byte of the file.
        source: how to name the file in messages (usually its path).

    Raises:
        VoiceFileCorrupt: naming the first problem found.
    """
    if len(data) < 8:
        raise _corrupt(source, f"the file is {len(data)} bytes long, too short for a header")
    (length,) = struct.unpack("<Q", data[:8])
    if length == 0:
        raise _corrupt(source, "the header length is zero")
    if length > MAX_HEADER_BYTES:
        raise _corrupt(source, f"the header declares {length} bytes, over the {MAX_HEADER_BYTES} byte limit")
    if length > len(data) - 8:
        raise _corrupt(
            source, f"the header declares {length} bytes but only {len(data) - 8} follow the length field"
        )
    try:
        text = data[8 : 8 + length].decode("utf-8")
        parsed = strict_json_loads(text)
    except UnicodeDecodeError as exc:
        raise _corrupt(source, f"the header is not valid UTF-8 (byte {exc.start})") from None
    except StrictJSONError as exc:
        raise _corrupt(source, f"bad header JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise _corrupt(source, "the header is not a JSON object")
    metadata = _parse_metadata(parsed.pop("__metadata__", {}), source)
    entries = [_parse_entry(name, value, source) for name, value in parsed.items()]
    _check_tiling(entries, len(data) - 8 - length, source)
    ordered = sorted(entries, key=lambda e: e.begin)
    return SafetensorsHeader({e.name: e for e in ordered}, metadata, 8 + length)
