"""Dynamic batching for the GPU worker: concurrent requests share one forward pass per step.

Each request is a :class:`BatchJob` holding its remaining sentences. A step takes the oldest
job's voice and up to ``max_batch`` jobs speaking with that voice, and synthesizes the next
sentence of each in one batch. Jobs join and leave between steps (continuous batching), so a
new request waits for at most one step. Pure Python apart from the synthesis callable, so it
is tested on CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["BatchItem", "BatchJob", "next_batch", "synthesize_batch"]


@dataclass(frozen=True)
class BatchItem:
    """One sentence to speak within a batch."""

    text: str
    speaker: str | None
    speed: float


@dataclass
class BatchJob:
    """A request being served by the batching loop.

    Attributes:
        request_id: the engine's id of the request.
        voice_key: (name, version) of the voice; only jobs with equal keys share a batch.
        sentences: sentences not yet spoken, first one next.
        speaker, speed: as requested.
        skip: chunks (sentences) already delivered by an earlier attempt, not to be sent again.
        sent: sentences spoken so far.
    """

    request_id: int
    voice_key: tuple[str, str]
    sentences: list[str]
    speaker: str | None
    speed: float
    skip: int = 0
    sent: int = field(default=0)

    @property
    def finished(self) -> bool:
        """Whether every sentence has been spoken."""
        return not self.sentences

    def next_item(self) -> BatchItem:
        """The next sentence as a :class:`BatchItem`."""
        return BatchItem(self.sentences[0], self.speaker, self.speed)


def next_batch(jobs: Sequence[BatchJob], max_batch: int) -> list[BatchJob]:
    """The jobs to advance in the next step: the oldest unfinished job and, in age order, up to
    ``max_batch - 1`` more with the same voice. ``jobs`` is in arrival order."""
    pending = [job for job in jobs if not job.finished]
    if not pending:
        return []
    key = pending[0].voice_key
    return [job for job in pending if job.voice_key == key][:max_batch]


def synthesize_batch(voice: Any, items: Sequence[BatchItem]) -> list[np.ndarray]:
    """Speak every item with ``voice``: one batched call when the voice offers
    ``synthesize_batch(texts, speakers, speeds)``, else one call per item.

    Returns:
        float32 arrays of shape (S_i,), one per item, in order.
    """
    batch_call: Callable[..., list[np.ndarray]] | None = getattr(voice, "synthesize_batch", None)
    if batch_call is not None and len(items) > 1:
        outputs = batch_call(
            [item.text for item in items], [item.speaker for item in items], [item.speed for item in items]
        )
    else:
        outputs = [voice.synthesize(item.text, speaker=item.speaker, speed=item.speed) for item in items]
    return [np.asarray(out, dtype=np.float32).reshape(-1) for out in outputs]
