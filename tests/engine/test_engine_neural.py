"""The engine with neural voices: streaming, hot reload, crash recovery, hostile uploads."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pickle
import signal
import struct
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.engine.conftest import audio, collect
from voicebot.engine import Engine, SynthesisFailed, SynthesisTimeout, UnknownVoice, VoiceRejected
from voicebot.engine.runtime import seed_everything
from voicebot.engine.worker import WORKER_NICENESS
from voicebot.voices import InvalidPitch, NeuralVoice, VoiceMeta, write_voice_file

pytestmark = pytest.mark.asyncio(loop_scope="package")

TEXT = "こんにちは。今日はいい天気ですね、散歩に行きましょう。"
LONG_TEXT = "これは長い文章のテストです。" * 12


async def _reference(path: Path, text: str) -> np.ndarray:
    """The voice's own synthesis in this process (in a thread: the engine's loop keeps running)."""

    def synthesize() -> np.ndarray:
        voice = NeuralVoice.load(path)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # like a worker; more threads only fight over a busy machine
        try:
            seed_everything()
            with torch.inference_mode():
                return voice.synthesize(text)
        finally:
            torch.set_num_threads(threads)

    return await asyncio.to_thread(synthesize)


async def test_chunks_concatenate_to_the_voices_own_synthesis(
    neural_engine: Engine, tiny_voice_file: Path
) -> None:
    chunks = await collect(neural_engine.synthesize(TEXT, voice="tiny"))
    assert len(chunks) > 1
    assert {(c.voice, c.sample_rate) for c in chunks} == {("tiny", 24000)}
    np.testing.assert_allclose(audio(chunks), await _reference(tiny_voice_file, TEXT), atol=1e-5)


async def test_messages_sent_at_the_same_moment_each_sound_as_alone(
    neural_engine: Engine, tiny_voice_file: Path
) -> None:
    # A burst starts in one batch per worker (see engine/outbox.py); nobody should hear that.
    texts = [f"{i}番目のメッセージです。今日はいい天気ですね。" for i in range(6)]
    results = await asyncio.gather(
        *(collect(neural_engine.synthesize(text, voice="tiny", guild_id=i)) for i, text in enumerate(texts))
    )
    for text, chunks in zip(texts, results, strict=True):
        np.testing.assert_allclose(audio(chunks), await _reference(tiny_voice_file, text), atol=1e-4)


async def test_workers_yield_the_cpu_to_the_bot(neural_engine: Engine) -> None:
    """The bot's packet clock and encoding must not queue behind synthesis on a busy machine."""
    bot = os.getpriority(os.PRIO_PROCESS, 0)
    for worker in neural_engine.workers():
        assert worker.pid is not None
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) == min(19, bot + WORKER_NICENESS)


async def test_default_voice_and_unknown_names(neural_engine: Engine) -> None:
    chunks = await collect(neural_engine.synthesize("はい。"))
    assert chunks[0].voice == "tiny"
    assert {v.name for v in neural_engine.voices()} >= {"tiny", "openjtalk"}
    with pytest.raises(UnknownVoice, match="available voices"):
        neural_engine.synthesize(TEXT, voice="nobody")
    with pytest.raises(UnknownVoice, match="alpha, kumo"):
        neural_engine.synthesize(TEXT, voice="tiny", speaker="nobody")


async def test_pitch_is_checked_at_once_and_a_voice_says_what_it_cannot_change(neural_engine: Engine) -> None:
    with pytest.raises(InvalidPitch, match="between -12 and \\+12"):
        neural_engine.synthesize(TEXT, voice="tiny", pitch=12.5)
    with pytest.raises(InvalidPitch, match="intonation must be between 0"):
        neural_engine.synthesize(TEXT, voice="tiny", intonation=-1)
    # The tiny voice predates the harmonic source: it has no pitch to change.
    controls = {v.name: v.controls for v in neural_engine.voices()}
    assert controls["tiny"] == () and controls["openjtalk"] == ("pitch",)
    with pytest.raises(SynthesisFailed, match="cannot change its pitch"):
        await collect(neural_engine.synthesize(TEXT, voice="tiny", pitch=3))
    higher = await collect(neural_engine.synthesize("はい。", voice="openjtalk", pitch=3))
    plain = await collect(neural_engine.synthesize("はい。", voice="openjtalk"))
    assert audio(higher).shape != audio(plain).shape or not np.allclose(audio(higher), audio(plain))


async def test_timeout_stops_a_slow_request(neural_engine: Engine) -> None:
    with pytest.raises(SynthesisTimeout, match="shorter message"):
        await collect(neural_engine.synthesize(LONG_TEXT * 4, voice="tiny", timeout=0.001))
    assert (await collect(neural_engine.synthesize(TEXT, voice="tiny")))[0].samples.size


async def test_hot_reload_while_20_requests_are_in_flight(
    neural_engine: Engine, tiny_voice_file: Path, second_voice_file: Path
) -> None:
    text = LONG_TEXT * 3  # long enough that the 20 requests outlast the new file's validation
    old = await neural_engine.install(tiny_voice_file, name="reload")
    streams = [neural_engine.synthesize(text, voice="reload", guild_id=i % 3, timeout=120) for i in range(20)]
    tasks = [asyncio.create_task(collect(stream)) for stream in streams]
    await asyncio.sleep(0.05)
    new = await neural_engine.install(second_voice_file, name="reload")
    results = await asyncio.gather(*tasks)  # a failed request raises here
    assert old.version != new.version
    references = {
        old.version: await _reference(tiny_voice_file, text),
        new.version: await _reference(second_voice_file, text),
    }
    for chunks in results:
        (version,) = {c.version for c in chunks}  # never two versions in one request
        np.testing.assert_allclose(audio(chunks), references[version], atol=1e-5)
    assert results[0][0].version == old.version
    later = await collect(neural_engine.synthesize(TEXT, voice="reload"))
    assert {c.version for c in later} == {new.version}
    np.testing.assert_allclose(audio(later), await _reference(second_voice_file, TEXT), atol=1e-5)
    assert [v.version for v in neural_engine.voices() if v.name == "reload"] == [new.version]


async def test_worker_killed_mid_request_is_replaced_and_the_request_completes(neural_engine: Engine) -> None:
    stream = neural_engine.synthesize(LONG_TEXT, voice="openjtalk")
    chunks = [await anext(stream)]
    busy = [w for w in neural_engine.workers() if w.in_flight]
    assert len(busy) == 1 and busy[0].pid is not None
    os.kill(busy[0].pid, signal.SIGKILL)
    chunks += await collect(stream)
    reference = await collect(neural_engine.synthesize(LONG_TEXT, voice="openjtalk"))
    np.testing.assert_array_equal(audio(chunks), audio(reference))
    deadline = time.monotonic() + 60
    while not all(w.alive for w in neural_engine.workers()) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert all(w.alive for w in neural_engine.workers())
    assert sum(w.restarts for w in neural_engine.workers()) >= 1
    assert (await collect(neural_engine.synthesize(TEXT, voice="tiny")))[0].samples.size


async def test_watcher_picks_up_added_replaced_and_removed_files(
    neural_engine: Engine, second_voice_file: Path, tiny_voice_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = neural_engine.settings.models_dir / "dropped.safetensors"
    target.write_bytes(second_voice_file.read_bytes())
    assert await _wait_for(lambda: "dropped" in _names(neural_engine))
    (version,) = [v.version for v in neural_engine.voices() if v.name == "dropped"]
    assert (await collect(neural_engine.synthesize(TEXT, voice="dropped")))[0].version == version

    with caplog.at_level(logging.WARNING, logger="voicebot.engine"):
        target.write_bytes(b"not a voice file at all")
        assert await _wait_for(lambda: "keeping the previous 'dropped'" in caplog.text)
    assert [v.version for v in neural_engine.voices() if v.name == "dropped"] == [version]
    assert (await collect(neural_engine.synthesize(TEXT, voice="dropped")))[0].version == version

    # A valid replacement goes live: new requests speak with the new version.
    target.write_bytes(tiny_voice_file.read_bytes())
    assert await _wait_for(
        lambda: [v.version for v in neural_engine.voices() if v.name == "dropped"] != [version]
    )
    (replaced,) = [v.version for v in neural_engine.voices() if v.name == "dropped"]
    assert (await collect(neural_engine.synthesize(TEXT, voice="dropped")))[0].version == replaced

    target.unlink()
    assert await _wait_for(lambda: "dropped" not in _names(neural_engine))


@pytest.mark.parametrize("odd", ["symlink", "fifo", "folder"])
async def test_an_odd_file_in_place_of_the_serving_voice_leaves_it_serving(
    neural_engine: Engine, second_voice_file: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, odd: str
) -> None:
    target = neural_engine.settings.models_dir / f"odd-{odd}.safetensors"
    target.write_bytes(second_voice_file.read_bytes())
    assert await _wait_for(lambda: f"odd-{odd}" in _names(neural_engine))
    (version,) = [v.version for v in neural_engine.voices() if v.name == f"odd-{odd}"]
    target.unlink()
    if odd == "symlink":
        target.symlink_to(second_voice_file)
    elif odd == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    with caplog.at_level(logging.WARNING, logger="voicebot.engine"):
        assert await _wait_for(lambda: f"keeping the previous 'odd-{odd}'" in caplog.text)
        await asyncio.sleep(3 * neural_engine.tuning.poll_interval)  # later polls stay quiet
    assert caplog.text.count(f"keeping the previous 'odd-{odd}'") == 1
    assert (await collect(neural_engine.synthesize(TEXT, voice=f"odd-{odd}")))[0].version == version
    target.rmdir() if odd == "folder" else target.unlink()
    assert await _wait_for(lambda: f"odd-{odd}" not in _names(neural_engine))


def _names(engine: Engine) -> set[str]:
    return {voice.name for voice in engine.voices()}


async def _wait_for(condition: object, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.1)
    return False


class _Canary:
    """Unpickling this creates the canary file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def _poke_nan(path: Path) -> None:
    """Overwrite the first float32 weight of a written voice file with NaN (writers refuse NaN)."""
    data = bytearray(path.read_bytes())
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    start = next(
        v["data_offsets"][0] for k, v in header.items() if k != "__metadata__" and v["dtype"] == "F32"
    )
    data[8 + length + start : 8 + length + start + 4] = struct.pack("<f", float("nan"))
    path.write_bytes(bytes(data))


def _hostile_files(
    folder: Path, meta: VoiceMeta, state: dict[str, torch.Tensor], canary: Path
) -> dict[str, Path]:
    files = {name: folder / f"{name}.safetensors" for name in ("pickled", "nan", "bomb", "zeroed")}
    files["pickled"].write_bytes(pickle.dumps(_Canary(canary)))
    write_voice_file(files["nan"], state, meta)
    _poke_nan(files["nan"])
    files["bomb"].write_bytes(struct.pack("<Q", 2**62) + b"{" + b" " * 64)
    write_voice_file(files["zeroed"], {name: torch.zeros_like(t) for name, t in state.items()}, meta)
    return files


async def test_hostile_uploads_are_refused_and_serving_goes_on(
    neural_engine: Engine,
    tmp_path: Path,
    tiny_voice_meta: VoiceMeta,
    tiny_voice_state: dict[str, torch.Tensor],
) -> None:
    canary = tmp_path / "canary"
    files = _hostile_files(tmp_path, tiny_voice_meta, tiny_voice_state, canary)
    before = neural_engine.voices()
    reasons = {}
    for name, path in files.items():
        ongoing = asyncio.create_task(collect(neural_engine.synthesize(TEXT, voice="tiny")))
        with pytest.raises(VoiceRejected) as info:
            await neural_engine.install(path)
        reasons[name] = str(info.value)
        assert (await ongoing)[0].samples.size, "serving stopped while a hostile file was validated"
    assert not canary.exists()
    assert "NaN" in reasons["nan"]
    assert "silence" in reasons["zeroed"]
    assert all(reason and "\n" not in reason for reason in reasons.values()), reasons
    assert neural_engine.voices() == before
    assert not any((neural_engine.settings.models_dir / p.name).exists() for p in files.values())


async def test_install_refuses_other_file_types_and_unsafe_names(
    neural_engine: Engine, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "voice.pth"
    checkpoint.write_bytes(b"x")
    with pytest.raises(VoiceRejected, match=r"\.safetensors"):
        await neural_engine.install(checkpoint)
    with pytest.raises(VoiceRejected, match="separator"):
        await neural_engine.install(tmp_path / "x.safetensors", name="../evil")


async def test_install_refuses_fifos_links_folders_and_oversized_files_at_once(
    neural_engine: Engine, tmp_path: Path
) -> None:
    staging = neural_engine.settings.data_dir / "engine" / "voices"
    before = set(staging.iterdir()) if staging.is_dir() else set()
    fifo = tmp_path / "fifo.safetensors"
    os.mkfifo(fifo)
    secret = tmp_path / "secret"
    secret.write_bytes(b"PASSWORD=hunter2 and more private bytes")
    link = tmp_path / "link.safetensors"
    link.symlink_to(secret)
    folder = tmp_path / "folder.safetensors"
    folder.mkdir()
    sparse = tmp_path / "huge.safetensors"
    with sparse.open("wb") as handle:
        handle.truncate(2**31)  # 2 GiB, nothing on disk
    cases = {fifo: "not a regular file", link: "symbolic link", folder: "is a folder", sparse: "over the"}
    started = time.monotonic()
    for path, reason in cases.items():
        for _ in range(3 if path is fifo else 1):  # FIFOs once blocked a thread each, for ever
            with pytest.raises(VoiceRejected, match=reason) as info:
                await asyncio.wait_for(neural_engine.install(path), timeout=10)
            assert "hunter2" not in str(info.value) and "1347" not in str(info.value)
    assert time.monotonic() - started < 10
    assert (set(staging.iterdir()) if staging.is_dir() else set()) == before  # no empty or partial copies
    assert (await collect(neural_engine.synthesize("はい。", voice="tiny")))[0].samples.size  # still serving


async def test_remove_deletes_the_file_and_the_voice(neural_engine: Engine, second_voice_file: Path) -> None:
    info = await neural_engine.install(second_voice_file, name="removable")
    path = neural_engine.settings.models_dir / "removable.safetensors"
    assert path.read_bytes() == second_voice_file.read_bytes()
    assert info.speakers == ("alpha", "kumo")
    await neural_engine.remove("removable")
    assert not path.exists()
    assert "removable" not in _names(neural_engine)
    with pytest.raises(UnknownVoice):
        neural_engine.synthesize(TEXT, voice="removable")
    with pytest.raises(UnknownVoice):
        await neural_engine.remove("removable")
    with pytest.raises(VoiceRejected, match="built-in"):
        await neural_engine.remove("openjtalk")


@pytest.mark.parametrize(("frames_per_token", "label"), [(400.0, "slow"), (0.02, "fast")])
async def test_a_voice_that_speaks_far_too_slow_or_fast_is_refused(
    neural_engine: Engine,
    tmp_path: Path,
    tiny_voice_meta: VoiceMeta,
    tiny_voice_state: dict[str, torch.Tensor],
    frames_per_token: float,
    label: str,
) -> None:
    # The alignment predictor's output bias sets every token's length (log(1 + frames)).
    state = dict(tiny_voice_state)
    bias = "alignment_predictor.decoder_out.bias"
    state[bias] = torch.full_like(state[bias], float(np.log1p(frames_per_token)))
    path = tmp_path / f"{label}.safetensors"
    write_voice_file(path, state, tiny_voice_meta)
    with pytest.raises(VoiceRejected, match="far from natural speech: the duration model is broken"):
        await neural_engine.install(path)
    assert label not in {v.name for v in neural_engine.voices()}
