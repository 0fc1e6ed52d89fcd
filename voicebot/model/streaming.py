"""Streaming inference: sentences synthesized chunk by chunk, several started in one batch.

A :class:`ChunkStream` decodes the frames of a plan (see :meth:`ET2Model.plan`) in chunks, the
first one small for low latency, each next one twice as long up to a cap: a worker that starts
several streams at once computes every next chunk while the one before plays (N streams need N
next chunks within one chunk's playing time; doubling rather than quadrupling lets about 12
streams per worker through where 8 ran dry), and few chunks keep the per-chunk overhead (decoder
context on both sides) low. Latents are computed
once per frame as the chunks need them, and each chunk is decoded with the decoder's receptive
field as context on each side, then trimmed: every stage sees all the context it depends on, so
the concatenated chunks equal :meth:`ET2Model.infer` with the same noise.

Sentences that start together are planned as one batch and their first chunks decoded in one
pass: on a CPU, a batch of eight costs about 60 % of eight separate starts, because the text
encoder and the first decoder pass are short and overhead-bound. Their second chunks, all due
within the first one's playing time, are decoded together too (:class:`JointStart`); then
:meth:`ChunkStream.split` gives each its own stream, with its own playback deadline.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from voicebot.model.attention import Boundaries
from voicebot.model.pitch import PitchControl, PitchTrack
from voicebot.model.synthesis import Excitation

if TYPE_CHECKING:
    from voicebot.model.model import ET2Model, Plan

__all__ = ["JOINT_CHUNKS", "ChunkStream", "JointStart", "StreamedSource"]

JOINT_CHUNKS = 2
"""Chunks that sentences started together compute together before each goes on alone. A burst
needs every second chunk within the first one's playing time, and stepping seven together on one
CPU thread cost 16.6 ms each against 27.7 alone; later chunks are longer and gain less."""


def packed(x: Tensor) -> Tensor:
    """``x`` with row-major strides. ``contiguous()`` keeps the stride of a size-1 batch dimension,
    and the compiled decoder guards on strides: a chunk's slices would recompile it mid-request."""
    return x.clone(memory_format=torch.contiguous_format)


class StreamedSource:
    """The excitation of one plan's sentences, its pitch predicted as far as the chunks need.

    A first chunk then predicts the pitch of its own frames, not of the whole sentence. The
    phase is accumulated from the sentence's start whenever more pitch is predicted (cheap), so
    every span gets the excitation that :meth:`ET2Model.infer` computes at once.
    """

    def __init__(
        self,
        model: ET2Model,
        plan: Plan,
        control: PitchControl,
        track: PitchTrack | None = None,
        ready: int = 0,
    ) -> None:
        self._model = model
        self._plan = plan
        self._control = control
        if track is None:
            shape = plan.noise1[:, 0].shape  # (B, T_frames)
            track = PitchTrack(plan.noise1.new_zeros(shape).float(), plan.noise1.new_zeros(shape).float())
        self._track = track
        self._ready = ready  # pitch of frames [0, ready) is predicted
        self._excitation: Excitation | None = None  # of the track as far as it is predicted

    def until(self, end: int) -> Excitation:
        """The whole sentences' excitation, exact for every frame before ``end``."""
        end = min(end, self._track.log_f0.size(-1))
        if end > self._ready:
            span = self._model.pitch_span(self._plan, self._control, self._ready, end)
            self._track.log_f0[:, self._ready : end] = span.log_f0
            self._track.voiced[:, self._ready : end] = span.voiced
            self._ready, self._excitation = end, None
        if self._excitation is None:
            self._excitation = self._model.excitation(self._plan, self._track)
        return self._excitation

    def row(self, index: int, plan: Plan) -> StreamedSource:
        """The source of item ``index`` alone, for its own ``plan`` (one item, its own length)."""
        frames = plan.noise1.size(-1)
        track = PitchTrack(
            packed(self._track.log_f0[index : index + 1, :frames]),
            packed(self._track.voiced[index : index + 1, :frames]),
        )
        return StreamedSource(self._model, plan, self._control, track, min(self._ready, frames))


class ChunkStream(Iterator[Tensor]):
    """The chunks of a plan's sentences (see the module docstring).

    Iterating takes a plan of one sentence and yields its audio chunk by chunk, each a float32
    Tensor of shape (S_i,). A plan of several sentences advances them together with
    :meth:`step`, until :meth:`split` hands each its own stream.

    Args:
        model: the model that made ``plan``.
        plan: from :meth:`ET2Model.plan` with ``whole_source=False``.
        control: the pitch control the plan was made with.
        chunk_frames: the longest chunk. first_chunk_frames: the first chunk's length.
    """

    def __init__(
        self, model: ET2Model, plan: Plan, control: PitchControl, chunk_frames: int, first_chunk_frames: int
    ) -> None:
        self._model = model
        self._plan = plan
        self._control = control
        self._chunk_frames = chunk_frames
        self._source = StreamedSource(model, plan, control) if model.has_source else None
        self._z2 = plan.noise1.new_zeros(plan.noise1.shape)
        self._ready = 0  # latents of frames [0, ready) are computed
        self._start = 0  # the next chunk's first frame
        self._size = first_chunk_frames

    @property
    def finished(self) -> bool:
        """Whether every frame has been yielded."""
        return self._start >= self._plan.noise1.size(-1)

    @property
    def frame_lengths(self) -> list[int]:
        """Frames of each sentence of the plan."""
        return self._plan.frame_lengths.tolist()

    @property
    def position(self) -> int:
        """The next chunk's first frame: a sentence of fewer frames has ended."""
        return self._start

    def __next__(self) -> Tensor:
        if self._plan.noise1.size(0) != 1:
            raise RuntimeError("a stream of several sentences advances with step() until split()")
        if self.finished:
            raise StopIteration
        return self.step()[0]

    @torch.inference_mode()
    def step(self) -> list[Tensor]:
        """Compute the next chunk of every sentence of the plan.

        Returns: one float32 Tensor (S_i,) per item; empty for an item that has ended.
        """
        model, plan = self._model, self._plan
        synth = model.synthesizer
        total = plan.noise1.size(-1)
        start = self._start
        end = min(start + self._size, total)
        context, latent_context = synth.decoder_receptive_field, synth.latent_receptive_field
        lo, hi = max(0, start - context), min(total, end + context)
        if hi > self._ready:
            span_lo, span_hi = max(0, self._ready - latent_context), min(total, hi + latent_context)
            span = model.latent_span(plan, span_lo, span_hi)
            self._z2[..., self._ready : hi] = span[..., self._ready - span_lo : hi - span_lo]
            self._ready = hi
        # The span's excitation reaches `margin` frames past its end.
        excitation = None if self._source is None else self._source.until(hi + synth.source_margin + 1)
        audio = model.decode_span(plan, self._z2[..., lo:hi], lo, excitation)
        self._start, self._size = end, min(2 * self._size, self._chunk_frames)
        hop = model.config.hop_length
        chunks = []
        for row, length in enumerate(plan.frame_lengths.tolist()):
            stop = min(end, max(start, length))
            chunks.append(audio[row, (start - lo) * hop : (stop - lo) * hop].float())
        return chunks

    @torch.inference_mode()
    def split(self) -> list[ChunkStream]:
        """One stream per sentence, each going on alone from where this one is."""
        plan = self._plan
        streams = []
        for row, (frames, tokens) in enumerate(
            zip(plan.frame_lengths.tolist(), plan.text_mask.sum(dim=(1, 2)).long().tolist(), strict=True)
        ):
            one = slice(row, row + 1)
            item = dataclasses.replace(
                plan,
                text_h=packed(plan.text_h[one, :, :tokens]),
                text_mask=packed(plan.text_mask[one, :, :tokens]),
                bounds=Boundaries(*(packed(bound[one, :tokens]) for bound in plan.bounds)),
                frame_lengths=plan.frame_lengths[one],
                noise1=packed(plan.noise1[one, :, :frames]),
                noise2=packed(plan.noise2[one, :, :frames]),
                speaker=plan.speaker[one],
                pitch_stats=plan.pitch_stats[one],
                excitation=None,
            )
            stream = ChunkStream(self._model, item, self._control, self._chunk_frames, self._size)
            stream._z2 = packed(self._z2[one, :, :frames])
            stream._ready = min(self._ready, frames)
            stream._start = min(self._start, frames)
            if self._source is not None:
                stream._source = self._source.row(row, item)
            streams.append(stream)
        return streams


class JointStart:
    """Sentences started as one batch that compute their first ``steps`` chunks together.

    Each member iterator yields its sentence's chunks. The first member to need a chunk that is
    not computed yet steps the whole batch, and the others find theirs waiting; after ``steps``
    chunks the batch splits and every member goes on with a stream of its own.

    Args:
        stream: a :class:`ChunkStream` of several sentences, not stepped yet.
        steps: chunks computed together (see :data:`JOINT_CHUNKS`).
    """

    def __init__(self, stream: ChunkStream, steps: int) -> None:
        self._stream = stream
        self._steps_left = steps
        self._frames = stream.frame_lengths
        self._ready: list[deque[Tensor]] = [deque() for _ in self._frames]
        self._alone: list[ChunkStream] | None = None

    def members(self) -> list[Iterator[Tensor]]:
        """One iterator per sentence, in order."""
        return [self._member(row) for row in range(len(self._frames))]

    def _member(self, row: int) -> Iterator[Tensor]:
        ready = self._ready[row]
        while True:
            if ready:
                yield ready.popleft()
            elif self._alone is not None:
                yield from self._alone[row]
                return
            elif self._stream.position >= self._frames[row]:
                return
            else:
                self._step()

    def _step(self) -> None:
        for ready, chunk in zip(self._ready, self._stream.step(), strict=True):
            if chunk.numel():
                ready.append(chunk)
        self._steps_left -= 1
        if self._steps_left == 0:
            self._alone = self._stream.split()
