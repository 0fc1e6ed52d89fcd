"""Dynamic batching: which requests share a step, and one padded forward pass per step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from voicebot.engine.batching import BatchItem, BatchJob, next_batch, synthesize_batch
from voicebot.model import PitchControl
from voicebot.voices import NeuralVoice

AS_TRAINED = PitchControl()


def _job(rid: int, voice: str, sentences: int = 2) -> BatchJob:
    return BatchJob(rid, (voice, "v1"), [f"s{i}" for i in range(sentences)], None, 1.0, AS_TRAINED)


def test_batch_is_oldest_jobs_voice_up_to_max() -> None:
    jobs = [_job(1, "a"), _job(2, "b"), _job(3, "a"), _job(4, "a")]
    assert [job.request_id for job in next_batch(jobs, max_batch=2)] == [1, 3]
    assert [job.request_id for job in next_batch(jobs, max_batch=8)] == [1, 3, 4]


def test_finished_jobs_are_skipped() -> None:
    done = _job(1, "a", sentences=0)
    assert done.finished
    assert [job.request_id for job in next_batch([done, _job(2, "b")], 4)] == [2]
    assert next_batch([done], 4) == []


def test_neural_voice_runs_one_padded_batch_per_speed(tiny_voice_file: Path) -> None:
    voice = NeuralVoice.load(tiny_voice_file)
    items = [
        BatchItem("今日はいい天気なので、みんなで散歩に行きましょう。", None, 1.0, AS_TRAINED),
        BatchItem("はい。", "kumo", 1.0, AS_TRAINED),
        BatchItem("はい。", None, 2.0, AS_TRAINED),
        BatchItem("", None, 1.0, AS_TRAINED),
    ]
    calls: list[int] = []
    infer = voice.model.infer

    def counting_infer(ids: torch.Tensor, *args: object, **kwargs: object) -> object:
        calls.append(ids.size(0))
        return infer(ids, *args, **kwargs)

    voice.model.infer = counting_infer  # type: ignore[method-assign]
    with torch.inference_mode():
        outputs = synthesize_batch(voice, items)
    assert sorted(calls) == [1, 2]  # speed 1.0: two sentences in one call; speed 2.0: one
    long, short, fast, empty = outputs
    assert all(out.dtype == np.float32 and np.isfinite(out).all() for out in outputs)
    assert long.size > short.size > 0  # no padding carried over from the longer item
    assert fast.size > 0
    assert empty.size == 0


def test_other_voices_are_called_per_item() -> None:
    class Plain:
        def synthesize(self, text: str, *, speed: float = 1.0, pitch: float = 0.0, **_: object) -> np.ndarray:
            return np.full(len(text), speed + pitch)

    items = [BatchItem("a", None, 1.0, AS_TRAINED), BatchItem("bb", None, 2.0, PitchControl(semitones=3))]
    outputs = synthesize_batch(Plain(), items)  # type: ignore[arg-type]
    assert [out.tolist() for out in outputs] == [[1.0], [5.0, 5.0]]
    assert all(out.dtype == np.float32 for out in outputs)
