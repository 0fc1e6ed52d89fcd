"""Dynamic batching for the GPU worker: concurrent requests share one forward pass per step.

Each request is a :class:`BatchJob` holding its remaining sentences. A step takes the voice of
the job whose playback needs audio first (see :mod:`voicebot.engine.deadlines`) and up to
``max_batch`` jobs speaking with that voice, soonest due first, and synthesizes the next
sentence of each in one batch. Jobs join and leave between steps (continuous batching), so a
new request, due at once, waits for at most one step. Nothing here needs a GPU, so it is
tested on CPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from voicebot.engine.deadlines import Playback
from voicebot.model import PitchControl

if TYPE_CHECKING:
    from voicebot.voices import NeuralVoice, Voice

__all__ = ["BatchItem", "BatchJob", "next_batch", "synthesize_batch"]


@dataclass(frozen=True)
class BatchItem:
    """One sentence to speak within a batch."""

    text: str
    speaker: str | None
    speed: float
    pitch: PitchControl


@dataclass
class BatchJob:
    """A request being served by the batching loop.

    Attributes:
        request_id: the engine's id of the request.
        voice_key: (name, version) of the voice; only jobs with equal keys share a batch.
        sentences: sentences not yet spoken, first one next.
        speaker, speed, pitch: as requested.
        skip: chunks (sentences) already delivered by an earlier attempt, not to be sent again.
        playback: when its next sentence is due.
        sent: sentences spoken so far.
    """

    request_id: int
    voice_key: tuple[str, str]
    sentences: list[str]
    speaker: str | None
    speed: float
    pitch: PitchControl
    skip: int = 0
    playback: Playback = field(default_factory=lambda: Playback(0.0))
    sent: int = field(default=0)

    @property
    def finished(self) -> bool:
        """Whether every sentence has been spoken."""
        return not self.sentences

    def next_item(self) -> BatchItem:
        """The next sentence as a :class:`BatchItem`."""
        return BatchItem(self.sentences[0], self.speaker, self.speed, self.pitch)


def next_batch(jobs: Sequence[BatchJob], max_batch: int) -> list[BatchJob]:
    """The jobs to advance in the next step: the unfinished job due first and, soonest due first,
    up to ``max_batch - 1`` more with the same voice."""
    pending = sorted(
        (job for job in jobs if not job.finished),
        key=lambda job: (job.playback.deadline, job.playback.submitted_at),
    )
    if not pending:
        return []
    key = pending[0].voice_key
    return [job for job in pending if job.voice_key == key][:max_batch]


def synthesize_batch(voice: Voice, items: Sequence[BatchItem]) -> list[np.ndarray]:
    """Speak every item with ``voice``: a neural voice runs one padded ``ET2Model.infer`` per
    speed and pitch control in the batch; other voices are called once per item.

    Returns:
        float32 arrays of shape (S_i,), one per item, in order.
    """
    from voicebot.voices import NeuralVoice

    if isinstance(voice, NeuralVoice) and len(items) > 1:
        return _neural_batch(voice, items)
    return [
        np.asarray(
            voice.synthesize(
                item.text,
                speaker=item.speaker,
                speed=item.speed,
                pitch=item.pitch.semitones,
                intonation=item.pitch.intonation,
            ),
            dtype=np.float32,
        )
        for item in items
    ]


def _neural_batch(voice: NeuralVoice, items: Sequence[BatchItem]) -> list[np.ndarray]:
    import torch

    from voicebot.text import g2p, symbols_to_ids

    outputs = [np.zeros(0, dtype=np.float32) for _ in items]
    groups: dict[tuple[float, PitchControl], list[int]] = {}
    for index, item in enumerate(items):
        control = voice.check_pitch(*item.pitch)
        groups.setdefault((voice.clamp_speed(item.speed), control), []).append(index)
    device = voice.device
    for (speed, control), indices in groups.items():
        ids = {i: symbols_to_ids(g2p(items[i].text), table=voice.meta.symbols) for i in indices}
        rows = [i for i in indices if ids[i]]
        if not rows:
            continue
        padded = torch.zeros(len(rows), max(len(ids[i]) for i in rows), dtype=torch.long)
        for row, i in enumerate(rows):
            padded[row, : len(ids[i])] = torch.tensor(ids[i])
        lengths = torch.tensor([len(ids[i]) for i in rows])
        speakers = torch.tensor([voice.speakers.index(voice.resolve_speaker(items[i].speaker)) for i in rows])
        audio, audio_lengths = voice.model.infer(
            padded.to(device),
            lengths.to(device),
            speakers.to(device),
            length_scale=1.0 / speed,
            pitch=control,
        )
        for row, i in enumerate(rows):
            outputs[i] = audio[row, : int(audio_lengths[row])].clamp(-1.0, 1.0).float().cpu().numpy()
    return outputs
