"""A neural voice: an MS-iSTFT-ET2 model loaded from a voice file."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from voicebot.model import ET2Model, PitchControl
from voicebot.text import g2p, split_sentences, symbols_to_ids
from voicebot.voices.base import Voice
from voicebot.voices.file import MAX_VOICE_BYTES, read_voice_file
from voicebot.voices.meta import VoiceMeta
from voicebot.voices.names import VOICE_SUFFIX

__all__ = ["CHUNK_FRAMES", "FIRST_CHUNK_FRAMES", "MAX_START_TOGETHER", "NOISE_SEED", "NeuralVoice"]

_log = logging.getLogger(__name__)
NOISE_SEED = 0
"""Seed of the noise each stream draws from its own generator."""

# About 0.26 s at 24 kHz / hop 256: small enough that playback starts almost at once, long
# enough that a worker starting many streams together reaches each one's second chunk before
# its first has played (at 0.17 s, a burst of 16 per worker ran dry); later chunks double.
FIRST_CHUNK_FRAMES = 24
CHUNK_FRAMES = 128
MAX_START_TOGETHER = 8
"""Most streams whose first sentences start in one batch. Eight cost about 60 % of eight
separate starts on a CPU; a larger batch makes its first member wait longer for little gain."""


class NeuralVoice(Voice):
    """Speaks with an :class:`~voicebot.model.ET2Model` in eval mode.

    Use :meth:`load`; the constructor takes a model that is already loaded.
    """

    def __init__(self, name: str, model: ET2Model, meta: VoiceMeta) -> None:
        super().__init__(name, meta.display_name, meta.sample_rate, meta.speakers, meta.default_speaker)
        self.model = model
        self.meta = meta
        # A voice with the harmonic source predicts pitch; older ones have no pitch path to change.
        self.controls = frozenset({"pitch", "intonation"}) if model.has_source else frozenset()
        # Streams not advanced yet, oldest first (weak: a dropped stream is forgotten).
        self._unstarted: list[weakref.ref[_Speech]] = []

    @classmethod
    def load(
        cls, path: Path, device: str = "cpu", compile: bool = False, *, max_bytes: int = MAX_VOICE_BYTES
    ) -> NeuralVoice:
        """Read and validate the voice file ``path`` and build its model on ``device``.

        Args:
            path: a ``.safetensors`` voice file; the voice is named after its stem.
            device: ``"cpu"`` or a CUDA device.
            compile: compile the model's frame synthesizer (slow first calls, faster later).
            max_bytes: larger files are refused.

        Raises:
            VoiceFileError: the file is refused (see :func:`read_voice_file`).
        """
        path = Path(path)
        state, meta = read_voice_file(path, max_bytes=max_bytes)
        model = ET2Model(meta.config, len(meta.symbols), len(meta.speakers), training=False)
        model.load_state_dict(state, strict=True)
        if model.has_source:
            model.set_pitch_stats(torch.tensor([meta.pitch[s] for s in meta.speakers], dtype=torch.float32))
        model.requires_grad_(False).to(device).eval()
        if compile:
            model.compile_synthesizer()
        _log.debug("loaded voice %s (%s) on %s", path, meta.display_name, device)
        return cls(path.name.removesuffix(VOICE_SUFFIX), model, meta)

    @property
    def device(self) -> torch.device:
        """Where the model's weights are."""
        return next(self.model.parameters()).device

    def stream(
        self,
        text: str,
        *,
        speaker: str | None = None,
        speed: float = 1.0,
        pitch: float = 0.0,
        intonation: float = 1.0,
    ) -> Iterator[np.ndarray]:
        """See :meth:`Voice.stream`. Each sentence is aligned whole, then decoded in chunks.

        ``speed`` becomes the model's ``length_scale = 1 / speed``; ``pitch`` and ``intonation``
        change the predicted contour before the decoder.

        Streams of this voice that have not yielded yet start together: when one of them is
        first advanced, it takes up to :data:`MAX_START_TOGETHER` of them (same speed and pitch
        control) along, and their first sentences share one batched plan and first two chunks
        (:meth:`ET2Model.start_chunks`), which a burst of messages hears sooner. Each stream
        sounds as it would alone, up to float rounding.
        """
        speaker_index = self.speakers.index(self.resolve_speaker(speaker))
        control = self.check_pitch(pitch, intonation)
        speech = _Speech(self, text, speaker_index, 1.0 / self.clamp_speed(speed), control)
        self._unstarted.append(weakref.ref(speech))
        return speech

    def _start_together(self, leader: _Speech) -> None:
        """Start ``leader`` and the unstarted streams that can share its batch."""
        kind = (leader.length_scale, leader.control)
        members, waiting = [leader], []
        for ref in self._unstarted:
            other = ref()
            if other is None or other is leader:
                continue
            if len(members) < MAX_START_TOGETHER and (other.length_scale, other.control) == kind:
                members.append(other)
            else:
                waiting.append(ref)
        self._unstarted = waiting
        ready = []
        for member in members:
            if member.take_first_sentence():
                ready.append(member)
        if len(ready) < 2:
            return
        try:
            streams = self._start_chunks(ready)
        except Exception:  # each member starts alone, and fails alone if it must
            _log.debug("a batched start failed; its %d streams start one by one", len(ready), exc_info=True)
            return
        for member, chunks in zip(ready, streams, strict=True):
            member.begin(chunks)

    def _start_chunks(self, speeches: list[_Speech]) -> list[Iterator[torch.Tensor]]:
        """The chunk streams of the pending sentences (``pending_ids``) of ``speeches``, which
        share a speed and a pitch control (see :meth:`ET2Model.start_chunks`)."""
        device = self.device
        return self.model.start_chunks(
            [torch.tensor(speech.pending_ids, device=device) for speech in speeches],
            torch.tensor([speech.speaker_index for speech in speeches], device=device),
            length_scale=speeches[0].length_scale,
            chunk_frames=CHUNK_FRAMES,
            first_chunk_frames=FIRST_CHUNK_FRAMES,
            generators=[speech.generator for speech in speeches],
            pitch=speeches[0].control,
        )


class _Speech(Iterator[np.ndarray]):
    """What :meth:`NeuralVoice.stream` returns: the sentences of one text, chunk by chunk."""

    def __init__(
        self, voice: NeuralVoice, text: str, speaker_index: int, length_scale: float, control: PitchControl
    ) -> None:
        self._voice = voice
        self._sentences = iter(split_sentences(text))
        self.speaker_index = speaker_index
        self.length_scale = length_scale
        self.control = control
        # Its own noise per stream: the same request gives the same audio whatever else the
        # process synthesizes in between (a worker interleaves requests chunk by chunk).
        self.generator = torch.Generator(device=voice.device).manual_seed(NOISE_SEED)
        self.started = False
        self.pending_ids: list[int] | None = None  # the next sentence's ids, read, not yet started
        self._error: Exception | None = None
        self._chunks: Iterator[torch.Tensor] | None = None

    def take_first_sentence(self) -> bool:
        """Mark the stream started and read its first sentence's ids: whether it has one."""
        self.started = True
        try:
            self.pending_ids = self._next_ids()
        except Exception as exc:  # this stream fails on its own next(), not its batch's leader
            self._error = exc
        return self.pending_ids is not None

    def begin(self, chunks: Iterator[torch.Tensor]) -> None:
        """Go on with ``chunks``, the stream of the sentence ``pending_ids`` held."""
        self.pending_ids, self._chunks = None, chunks

    def _next_ids(self) -> list[int] | None:
        for sentence in self._sentences:
            ids = symbols_to_ids(g2p(sentence), table=self._voice.meta.symbols)
            if ids:
                return ids
        return None

    def __next__(self) -> np.ndarray:
        if not self.started:
            self._voice._start_together(self)
        if self._error is not None:
            error, self._error = self._error, None
            self._sentences = iter(())
            raise error
        while True:
            if self._chunks is not None:
                chunk = next(self._chunks, None)
                if chunk is not None:
                    return chunk.clamp(-1.0, 1.0).cpu().numpy()
            if self.pending_ids is None:
                self.pending_ids = self._next_ids()
                if self.pending_ids is None:
                    raise StopIteration
            (chunks,) = self._voice._start_chunks([self])
            self.begin(chunks)
