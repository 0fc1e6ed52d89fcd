"""Dynamic batching: which requests share a step, and batched vs single synthesis."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from voicebot.engine.batching import BatchItem, BatchJob, next_batch, synthesize_batch


def _job(rid: int, voice: str, sentences: int = 2) -> BatchJob:
    return BatchJob(rid, (voice, "v1"), [f"s{i}" for i in range(sentences)], None, 1.0)


def test_batch_is_oldest_jobs_voice_up_to_max() -> None:
    jobs = [_job(1, "a"), _job(2, "b"), _job(3, "a"), _job(4, "a")]
    assert [job.request_id for job in next_batch(jobs, max_batch=2)] == [1, 3]
    assert [job.request_id for job in next_batch(jobs, max_batch=8)] == [1, 3, 4]


def test_finished_jobs_are_skipped() -> None:
    done = _job(1, "a", sentences=0)
    assert done.finished
    assert [job.request_id for job in next_batch([done, _job(2, "b")], 4)] == [2]
    assert next_batch([done], 4) == []


class _Voice:
    def __init__(self) -> None:
        self.batch_calls: list[int] = []
        self.single_calls = 0

    def synthesize(self, text: str, *, speaker: str | None = None, speed: float = 1.0) -> np.ndarray:
        self.single_calls += 1
        return np.full(len(text), speed, dtype=np.float64)

    def synthesize_batch(
        self, texts: Sequence[str], speakers: Sequence[str | None], speeds: Sequence[float]
    ) -> list[np.ndarray]:
        self.batch_calls.append(len(texts))
        return [np.full(len(t), s) for t, s in zip(texts, speeds, strict=True)]


def test_batched_voice_gets_one_call_per_step() -> None:
    voice = _Voice()
    items = [BatchItem("ab", None, 1.0), BatchItem("abc", None, 2.0)]
    outputs = synthesize_batch(voice, items)
    assert voice.batch_calls == [2]
    assert voice.single_calls == 0
    assert [out.tolist() for out in outputs] == [[1.0, 1.0], [2.0, 2.0, 2.0]]
    assert all(out.dtype == np.float32 for out in outputs)


def test_voice_without_batching_is_called_per_item() -> None:
    class Plain:
        def synthesize(self, text: str, *, speaker: str | None = None, speed: float = 1.0) -> np.ndarray:
            return np.ones(len(text))

    outputs = synthesize_batch(Plain(), [BatchItem("a", None, 1.0), BatchItem("bb", None, 1.0)])
    assert [len(out) for out in outputs] == [1, 2]
