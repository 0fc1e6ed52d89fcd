"""Every hostile or broken voice file is refused with its own readable reason, and nothing runs."""

from __future__ import annotations

import json
import os
import pickle
import struct
from pathlib import Path

import pytest
import safetensors.torch
import torch

from voicebot.voices import (
    NeuralVoice,
    NotAVoiceFile,
    UnsafeVoicePath,
    VoiceFileChanged,
    VoiceFileCorrupt,
    VoiceFileError,
    VoiceFileIncompatible,
    VoiceFileTooLarge,
    VoiceMeta,
    read_voice_file,
)
from voicebot.voices.meta import meta_to_metadata
from voicebot.voices.snapshot import SnapshotReader


def container(header: dict | bytes, data: bytes = b"", *, length: int | None = None) -> bytes:
    """A safetensors-shaped byte string with any header, data and declared header length."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def f32(shape: list[int], begin: int, end: int) -> dict:
    return {"dtype": "F32", "shape": shape, "data_offsets": [begin, end]}


class Payload:
    """Unpickling this creates the canary file: proof that code ran."""

    def __init__(self, canary: Path) -> None:
        self.canary = canary

    def __reduce__(self) -> tuple:
        return (open, (str(self.canary), "w"))


def write(tmp_path: Path, data: bytes, name: str = "voice.safetensors") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


HEADER_CASES = [
    ("header longer than the file", container(b"{}", length=1000), "declares 1000 bytes but only 2"),
    ("zero header length", container(b"", length=0), "header length is zero"),
    ("2^64-1 header length", container(b"{}", length=2**64 - 1), "over the 100000000 byte limit"),
    ("header over 100 MB", container(b"{}", length=100_000_001), "over the 100000000 byte limit"),
    ("shorter than 8 bytes", b"\x01\x00\x00", "too short"),
    ("duplicate keys", container(b'{"a": {}, "a": {}}'), "duplicate key 'a'"),
    ("invalid UTF-8", container(b'{"\xff\xfe": 1}'), "not valid UTF-8"),
    ("not JSON", container(b"{nope"), "bad header JSON"),
    ("header not an object", container(b"[1, 2]"), "not a JSON object"),
    (
        "overlapping offsets",
        container({"a": f32([2], 0, 8), "b": f32([2], 4, 12)}, bytes(12)),
        "'a' and 'b' overlap",
    ),
    ("gap between tensors", container({"a": f32([2], 0, 8), "b": f32([2], 12, 20)}, bytes(20)), "gap of 4"),
    ("offset past the data", container({"a": f32([2], 0, 8)}, bytes(4)), "past the end of the data"),
    ("offsets reversed", container({"a": f32([0], 8, 0)}, bytes(8)), "out of order"),
    (
        "shape x dtype != span",
        container({"a": f32([3], 0, 8)}, bytes(8)),
        "needs 12 bytes but its data_offsets span 8",
    ),
    (
        "unknown dtype",
        container({"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, bytes(8)),
        "dtype 'C64', not one of",
    ),
    ("trailing bytes", container({"a": f32([2], 0, 8)}, bytes(10)), "2 trailing bytes"),
    ("extra entry key", container({"a": {**f32([2], 0, 8), "x": 1}}, bytes(8)), "exactly the keys"),
    ("negative dimension", container({"a": f32([-2], 0, 8)}, bytes(8)), "not a list of sizes"),
    ("boolean shape", container({"a": f32([True], 0, 4)}, bytes(4)), "not a list of sizes"),
    (
        "metadata value not a string",
        container({"__metadata__": {"format": 1}, "a": f32([2], 0, 8)}, bytes(8)),
        "__metadata__ value 'format' is not a string",
    ),
]


@pytest.mark.parametrize(("data", "reason"), [c[1:] for c in HEADER_CASES], ids=[c[0] for c in HEADER_CASES])
def test_malformed_containers_are_refused(tmp_path: Path, data: bytes, reason: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(VoiceFileCorrupt, match=reason) as info:
        read_voice_file(path)
    assert str(path) in str(info.value)


def test_payload_really_runs_when_unpickled(tmp_path: Path) -> None:
    """Guard for the tests below: the payload is live, so its canary staying absent means something."""
    canary = tmp_path / "canary"
    pickle.loads(pickle.dumps(Payload(canary))).close()
    assert canary.exists()


def test_pickle_renamed_safetensors_is_named_and_never_unpickled(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = write(tmp_path, pickle.dumps(Payload(canary), protocol=4))
    with pytest.raises(NotAVoiceFile, match=r"PyTorch pickle checkpoint, not a voice file.*voicebot export"):
        read_voice_file(path)
    assert not canary.exists()


def test_torch_checkpoint_is_named_and_never_unpickled(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    path = tmp_path / "voice.pt"
    torch.save({"model": Payload(canary)}, path)
    with pytest.raises(NotAVoiceFile, match=r"PyTorch pickle checkpoint.*zip archive"):
        read_voice_file(path)
    assert not canary.exists()


def raw_voice(state: dict[str, torch.Tensor], metadata: dict[str, str]) -> bytes:
    """Bytes of a well-formed safetensors file, bypassing write_voice_file's own checks."""
    return safetensors.torch.save({k: v.contiguous() for k, v in state.items()}, metadata=metadata)


def test_safetensors_that_is_not_a_voice_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, raw_voice({"w": torch.zeros(2)}, {"format": "pt"}))
    with pytest.raises(NotAVoiceFile, match="not a voicebot voice"):
        read_voice_file(path)


@pytest.mark.parametrize(
    ("key", "value", "error", "reason"),
    [
        ("architecture", "vits", VoiceFileIncompatible, "architecture 'vits' is not supported"),
        ("format_version", "2", VoiceFileIncompatible, "newer voicebot.*upgrade voicebot"),
        ("format_version", "one", VoiceFileCorrupt, "format_version 'one' is not a number"),
        (
            "model_config",
            '{"hidden_channels": -1}',
            VoiceFileIncompatible,
            "invalid model config.*hidden_channels",
        ),
        (
            "model_config",
            '{"no_such_field": 1}',
            VoiceFileIncompatible,
            "invalid model config.*no_such_field",
        ),
        ("symbol_table_version", "99", VoiceFileIncompatible, "symbol table is version 99.*upgrade voicebot"),
        ("sample_rate", "8000", VoiceFileCorrupt, "disagrees with the model config"),
        ("default_speaker", "nobody", VoiceFileCorrupt, "default_speaker 'nobody' is not one of"),
        ("speakers", '["a", "a"]', VoiceFileCorrupt, "duplicate entries"),
        ("surprise", "x", VoiceFileCorrupt, "unknown keys \\['surprise'\\]"),
        ("symbols", '["<pad>", "a", "a"]', VoiceFileCorrupt, "duplicate entries \\['a'\\]"),
        ("symbols", '["<pad>", "a"', VoiceFileCorrupt, "metadata 'symbols' is refused: not valid JSON"),
        (
            "model_config",
            '{"decoder_layers": 1000000}',
            VoiceFileIncompatible,
            "decoder_layers=1000000: more than 64 layers is refused",
        ),
    ],
)
def test_metadata_problems_are_named(
    tmp_path: Path,
    tiny_voice_state: dict[str, torch.Tensor],
    tiny_voice_meta: VoiceMeta,
    key: str,
    value: str,
    error: type[VoiceFileError],
    reason: str,
) -> None:
    metadata = {**meta_to_metadata(tiny_voice_meta), key: value}
    path = write(tmp_path, raw_voice(tiny_voice_state, metadata))
    with pytest.raises(error, match=reason):
        read_voice_file(path)


def test_symbol_table_of_another_frontend_is_refused(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    symbols = (*tiny_voice_meta.symbols[:-2], "ʃ", "θ")
    metadata = {**meta_to_metadata(tiny_voice_meta), "symbols": json.dumps(symbols)}
    path = write(tmp_path, raw_voice(tiny_voice_state, metadata))
    with pytest.raises(VoiceFileIncompatible, match="never produces \\('ʃ', 'θ'\\)"):
        read_voice_file(path)


def test_missing_and_extra_tensors_are_named(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    state = dict(tiny_voice_state)
    victim = sorted(state)[0]
    state["intruder.weight"] = state.pop(victim)
    path = write(tmp_path, raw_voice(state, meta_to_metadata(tiny_voice_meta)))
    with pytest.raises(
        VoiceFileIncompatible, match=f"missing tensors '{victim}'; unexpected tensors 'intruder"
    ):
        read_voice_file(path)


def test_misshaped_tensor_is_named(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta
) -> None:
    state = dict(tiny_voice_state)
    victim = max(state, key=lambda n: state[n].numel())
    state[victim] = torch.zeros(state[victim].numel() + 1)
    path = write(tmp_path, raw_voice(state, meta_to_metadata(tiny_voice_meta)))
    with pytest.raises(VoiceFileIncompatible, match=f"tensor '{victim}' has shape"):
        read_voice_file(path)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_weight_is_named(
    tmp_path: Path, tiny_voice_state: dict[str, torch.Tensor], tiny_voice_meta: VoiceMeta, bad: float
) -> None:
    state = dict(tiny_voice_state)
    victim = next(n for n, t in state.items() if t.is_floating_point() and t.numel() > 1)
    state[victim] = (
        state[victim].clone().flatten().index_fill(0, torch.tensor([1]), bad).view_as(state[victim])
    )
    path = write(tmp_path, raw_voice(state, meta_to_metadata(tiny_voice_meta)))
    with pytest.raises(VoiceFileCorrupt, match=f"tensor '{victim}' contains NaN or infinite"):
        read_voice_file(path)


def test_symlink_is_refused_even_to_a_valid_voice(tmp_path: Path, tiny_voice_file: Path) -> None:
    link = tmp_path / "link.safetensors"
    link.symlink_to(tiny_voice_file)
    with pytest.raises(UnsafeVoicePath, match="symbolic link"):
        read_voice_file(link)


def test_special_file_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeVoicePath, match="not a regular file"):
        read_voice_file(fifo)


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(VoiceFileError, match="does not exist"):
        read_voice_file(tmp_path / "nope.safetensors")


def test_file_over_the_size_limit_is_refused(tiny_voice_file: Path) -> None:
    with pytest.raises(VoiceFileTooLarge, match="over the 1,000 bytes limit for voice files"):
        read_voice_file(tiny_voice_file, max_bytes=1000)


def test_a_file_one_byte_over_the_limit_shows_two_different_sizes(tiny_voice_file: Path) -> None:
    size = tiny_voice_file.stat().st_size
    with pytest.raises(VoiceFileTooLarge) as refused:
        read_voice_file(tiny_voice_file, max_bytes=size - 1)
    shown, limit = str(refused.value).split(" is ")[1].split(", over the ")
    assert shown != limit.removesuffix(" limit for voice files")


class RewritingReader(SnapshotReader):
    """Plays a writer that changes the file after it was opened and checked."""

    def __init__(self, max_bytes: int, action: str) -> None:
        super().__init__(max_bytes)
        self.action = action

    def before_read(self, path: Path) -> None:
        if self.action == "append":
            with path.open("ab") as file:
                file.write(b"more")
        else:
            replacement = path.with_name("replacement")
            replacement.write_bytes(b"other")
            os.replace(replacement, path)


@pytest.mark.parametrize("action", ["append", "replace"])
def test_file_changed_while_read_is_refused(tmp_path: Path, action: str) -> None:
    path = write(tmp_path, b"original contents")
    assert SnapshotReader(1000).read(path) == b"original contents"
    with pytest.raises(VoiceFileChanged, match="changed or replaced while it was read: try again"):
        RewritingReader(1000, action).read(path)


def test_a_folder_is_refused_readably_and_leaks_no_descriptor(tmp_path: Path) -> None:

    folder = tmp_path / "folder.safetensors"
    folder.mkdir()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        with pytest.raises(UnsafeVoicePath, match="is a folder: voice files must be plain files"):
            read_voice_file(folder)
        with pytest.raises(VoiceFileError, match="is a folder"):
            NeuralVoice.load(folder)
    assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize("name", ["\x1b[2Jcleared", "two\nlines", "evil\u202egnp.exe", " padded"])
def test_display_names_that_would_forge_terminal_or_log_output_are_refused(
    name: str, tiny_voice_meta: VoiceMeta
) -> None:
    with pytest.raises(ValueError, match="must be printable on one line"):
        VoiceMeta.model_validate({**tiny_voice_meta.model_dump(), "display_name": name})
