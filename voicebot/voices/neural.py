"""A neural voice: an MS-iSTFT-ET2 model loaded from a voice file."""

from __future__ import annotations

import logging
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

__all__ = ["CHUNK_FRAMES", "FIRST_CHUNK_FRAMES", "NOISE_SEED", "NeuralVoice"]

_log = logging.getLogger(__name__)
NOISE_SEED = 0
"""Seed of the noise each stream draws from its own generator."""

# About 0.26 s at 24 kHz / hop 256: small enough that playback starts almost at once, long
# enough that a worker starting many streams together reaches each one's second chunk before
# its first has played (at 0.17 s, a burst of 16 per worker ran dry); later chunks grow 4x.
FIRST_CHUNK_FRAMES = 24
CHUNK_FRAMES = 128


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
        """
        speaker_index = self.speakers.index(self.resolve_speaker(speaker))
        control = self.check_pitch(pitch, intonation)
        return self._generate(text, speaker_index, 1.0 / self.clamp_speed(speed), control)

    def _generate(
        self, text: str, speaker_index: int, length_scale: float, control: PitchControl
    ) -> Iterator[np.ndarray]:
        device = self.device
        speakers = torch.tensor([speaker_index], device=device)
        # Its own noise per stream: the same request gives the same audio whatever else the
        # process synthesizes in between (a worker interleaves requests chunk by chunk).
        generator = torch.Generator(device=device).manual_seed(NOISE_SEED)
        for sentence in split_sentences(text):
            ids = symbols_to_ids(g2p(sentence), table=self.meta.symbols)
            if not ids:
                continue
            chunks = self.model.infer_chunks(
                torch.tensor([ids], device=device),
                speakers,
                length_scale=length_scale,
                chunk_frames=CHUNK_FRAMES,
                first_chunk_frames=FIRST_CHUNK_FRAMES,
                pitch=control,
                generator=generator,
            )
            for chunk in chunks:
                yield chunk.clamp(-1.0, 1.0).cpu().numpy()
