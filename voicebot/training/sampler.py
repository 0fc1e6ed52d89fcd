"""Length-bucketed batches whose content depends only on (seed, step, batch size).

The batch of step ``s`` is drawn from a generator seeded with ``(seed, s)``: a resumed run sees
exactly the batches the uninterrupted run would have seen, and changing the batch size on
resume needs no bookkeeping. Utterances are grouped into buckets of similar length so a batch
wastes little padding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler

__all__ = ["StepBatchSampler"]


class StepBatchSampler(Sampler[list[int]]):
    """Yields the index batches of steps ``start_step`` .. ``end_step - 1``."""

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        seed: int,
        start_step: int,
        end_step: int,
        bucket_batches: int = 8,
    ) -> None:
        order = np.argsort(np.asarray(lengths), kind="stable")
        size = batch_size * bucket_batches
        buckets = [order[i : i + size] for i in range(0, len(order), size)]
        if len(buckets) > 1 and len(buckets[-1]) < batch_size:
            buckets[-2] = np.concatenate([buckets[-2], buckets.pop()])
        self.buckets = buckets
        self.weights = np.array([len(b) for b in buckets], dtype=np.float64) / len(order)
        self.batch_size = batch_size
        self.seed = seed
        self.start_step = start_step
        self.end_step = end_step

    def batch_for_step(self, step: int) -> list[int]:
        """The dataset indices of step ``step``'s batch."""
        rng = np.random.default_rng([self.seed, step])
        bucket = self.buckets[rng.choice(len(self.buckets), p=self.weights)]
        replace = len(bucket) < self.batch_size
        return [int(i) for i in rng.choice(bucket, size=self.batch_size, replace=replace)]

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.start_step, self.end_step):
            yield self.batch_for_step(step)

    def __len__(self) -> int:
        return max(0, self.end_step - self.start_step)
