"""Voice files: one ``.safetensors`` file per voice, weights plus metadata.

:func:`read_voice_file` trusts nothing: the bytes are read once, the container is parsed
strictly by :mod:`voicebot.voices.safetensors_header`, the metadata is decoded and checked
against this voicebot (architecture, versions, symbols), the tensor names and shapes are
compared with the model the config describes (built on the meta device, so it costs no
memory), and only then are the tensors loaded from those same bytes and checked for NaN and
infinity. Nothing is ever unpickled.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import safetensors.torch
import torch
from safetensors import SafetensorError

from voicebot.model import ET2Model
from voicebot.text import SYMBOL_TABLE_VERSION, SYMBOLS, unknown_symbols
from voicebot.voices.errors import VoiceFileCorrupt, VoiceFileIncompatible
from voicebot.voices.meta import VoiceMeta, meta_from_metadata, meta_to_metadata
from voicebot.voices.safetensors_header import FLOAT_DTYPES, parse_header, refuse_foreign_format
from voicebot.voices.snapshot import SnapshotReader

__all__ = ["MAX_VOICE_BYTES", "expected_tensors", "read_voice_file", "write_voice_file"]

_log = logging.getLogger(__name__)

MAX_VOICE_BYTES = 512 * 1024 * 1024
# A hostile config could ask for millions of layers, which would take minutes and gigabytes just
# to build on the meta device; real stacks have a handful.
MAX_STACK_LAYERS = 64

_TORCH_DTYPES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.bool: "BOOL",
}


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def expected_tensors(meta: VoiceMeta) -> dict[str, torch.Tensor]:
    """The state dict the voice's model needs, as meta-device tensors (shapes and dtypes only).

    Raises:
        VoiceFileIncompatible: the model config cannot build a model, or asks for more than
            :data:`MAX_STACK_LAYERS` layers in a stack.
    """
    for field, value in meta.config.model_dump().items():
        size = len(value) if isinstance(value, tuple | list) else value
        if (field.endswith("_layers") or isinstance(value, tuple | list)) and size > MAX_STACK_LAYERS:
            raise VoiceFileIncompatible(
                f"its model config asks for {field}={value!r}: more than {MAX_STACK_LAYERS} layers is refused"
            )
    try:
        with torch.device("meta"):
            model = ET2Model(meta.config, len(meta.symbols), len(meta.speakers), training=False)
    except Exception as exc:  # any failure to build means the config is unusable, whatever its type
        raise VoiceFileIncompatible(f"its model config does not build a model ({exc})") from None
    return dict(model.state_dict())


def _dtype_fits(expected: torch.dtype, stored: str) -> bool:
    if expected.is_floating_point:
        return stored in FLOAT_DTYPES
    return _TORCH_DTYPES.get(expected) == stored


def _check_layout(
    layout: Mapping[str, tuple[str, tuple[int, ...]]], expected: Mapping[str, torch.Tensor]
) -> None:
    """Compare ``{name: (dtype, shape)}`` with the model's state dict; raise on any difference."""
    missing = sorted(set(expected) - set(layout))
    extra = sorted(set(layout) - set(expected))
    if missing or extra:
        parts = [f"missing tensors {_names(missing)}"] if missing else []
        parts += [f"unexpected tensors {_names(extra)}"] if extra else []
        raise VoiceFileIncompatible(f"its weights do not fit its model config: {'; '.join(parts)}")
    for name, want in expected.items():
        dtype, shape = layout[name]
        if shape != tuple(want.shape):
            raise VoiceFileIncompatible(
                f"tensor {name!r} has shape {list(shape)}, the model config needs {list(want.shape)}"
            )
        if not _dtype_fits(want.dtype, dtype):
            raise VoiceFileIncompatible(f"tensor {name!r} is stored as {dtype}, the model needs {want.dtype}")


def _check_symbols(meta: VoiceMeta) -> None:
    """Refuse a table made for another frontend; a table that only lacks some symbols still works.

    :func:`voicebot.text.symbols_to_ids` maps symbols an older table lacks to close sounds, so
    those are only logged.
    """
    if meta.symbol_table_version > SYMBOL_TABLE_VERSION:
        raise VoiceFileIncompatible(
            f"its symbol table is version {meta.symbol_table_version}, newer than this voicebot's "
            f"({SYMBOL_TABLE_VERSION}): upgrade voicebot"
        )
    if meta.symbols[0] != SYMBOLS[0]:
        raise VoiceFileIncompatible(
            f"its symbol table starts with {meta.symbols[0]!r} instead of the padding symbol {SYMBOLS[0]!r}"
        )
    foreign = [s for s in meta.symbols[1:] if s not in SYMBOLS]
    if foreign:
        raise VoiceFileIncompatible(
            f"its symbol table has symbols this text frontend never produces ({_names(foreign, 10)}): "
            "it was made for another frontend"
        )
    missing = sorted(unknown_symbols(meta.symbols))
    if missing:
        _log.warning("voice symbol table lacks %s: close sounds are used instead", _names(missing, 10))


def _first_non_finite(tensors: Mapping[str, torch.Tensor]) -> str | None:
    # min and max propagate NaN and show infinities, ten times faster than isfinite().all().
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and tensor.numel():
            low, high = torch.aminmax(tensor)
            if not (bool(torch.isfinite(low)) and bool(torch.isfinite(high))):
                return name
    return None


def read_voice_file(
    path: Path, *, max_bytes: int = MAX_VOICE_BYTES
) -> tuple[dict[str, torch.Tensor], VoiceMeta]:
    """Read and validate a voice file.

    Returns:
        ``(state_dict, meta)``: float tensors are float32 (fp16 files are widened), ready for
        ``ET2Model(meta.config, len(meta.symbols), len(meta.speakers)).load_state_dict``.

    Raises:
        VoiceFileError: a subclass naming the problem (see :mod:`voicebot.voices.errors`).
    """
    path = Path(path)
    data = SnapshotReader(max_bytes).read(path)
    source = str(path)
    refuse_foreign_format(data, source)
    header = parse_header(data, source)
    meta = meta_from_metadata(header.metadata, source)
    try:
        _check_symbols(meta)
        expected = expected_tensors(meta)
        _check_layout({n: (e.dtype, e.shape) for n, e in header.tensors.items()}, expected)
    except VoiceFileIncompatible as exc:
        raise VoiceFileIncompatible(f"{source}: {exc}") from None
    try:
        tensors = safetensors.torch.load(data)
    except SafetensorError as exc:
        raise VoiceFileCorrupt(f"{source}: the tensor data cannot be loaded ({exc})") from None
    bad = _first_non_finite(tensors)
    if bad is not None:
        raise VoiceFileCorrupt(f"{source}: tensor {bad!r} contains NaN or infinite values; use another copy")
    state = {name: tensors[name].to(expected[name].dtype) for name in expected}
    _log.debug("read voice %s (%d tensors, %d bytes)", source, len(state), len(data))
    return state, meta


def _storage_tensors(state_dict: Mapping[str, torch.Tensor], fp16: bool) -> dict[str, torch.Tensor]:
    tensors = {}
    for name, tensor in state_dict.items():
        tensor = tensor.detach().to("cpu")
        if tensor.is_floating_point():
            tensor = tensor.to(torch.float16 if fp16 else torch.float32)
        elif tensor.dtype not in _TORCH_DTYPES:
            raise VoiceFileIncompatible(
                f"tensor {name!r} has dtype {tensor.dtype}, which voice files cannot hold"
            )
        tensors[name] = tensor.contiguous().clone()
    return tensors


def write_voice_file(
    path: Path, state_dict: Mapping[str, torch.Tensor], meta: VoiceMeta, fp16: bool = False
) -> None:
    """Write a voice file atomically (a temporary file in the same folder, then a rename).

    Args:
        path: destination, usually ``models/<name>.safetensors``.
        state_dict: the state dict of ``ET2Model(meta.config, len(meta.symbols),
            len(meta.speakers), training=False)``.
        meta: what the file says about the voice.
        fp16: store float tensors as float16 (half the size; read back as float32).

    Raises:
        VoiceFileIncompatible: the tensors do not fit the model config, or have a dtype voice
            files cannot hold.
        VoiceFileCorrupt: a tensor has NaN or infinite values (after the fp16 conversion: a
            value beyond float16's range).
    """
    path = Path(path)
    tensors = _storage_tensors(state_dict, fp16)
    try:
        layout = {n: (_TORCH_DTYPES[t.dtype], tuple(t.shape)) for n, t in tensors.items()}
        _check_layout(layout, expected_tensors(meta))
    except VoiceFileIncompatible as exc:
        raise VoiceFileIncompatible(f"cannot write {path}: {exc}") from None
    bad = _first_non_finite(tensors)
    if bad is not None:
        hint = " (beyond float16's range: write it without fp16)" if fp16 else ""
        raise VoiceFileCorrupt(f"cannot write {path}: tensor {bad!r} has NaN or infinite values{hint}")
    data = safetensors.torch.save(tensors, metadata=meta_to_metadata(meta))
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _log.info("wrote voice %s (%d tensors, %.1f MB)", path, len(tensors), len(data) / 1e6)
