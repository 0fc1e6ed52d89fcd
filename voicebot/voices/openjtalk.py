"""The classic Open JTalk voice (HTS, "mei"): always available, and the fallback voice."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyopenjtalk

from voicebot.text import openjtalk_text, split_sentences
from voicebot.voices.base import Voice
from voicebot.voices.names import OPENJTALK_NAME

__all__ = ["OpenJTalkVoice"]

# pyopenjtalk's bundled HTS voice (mei_normal) synthesizes at 48 kHz, as 16-bit-range floats.
_SAMPLE_RATE = 48_000
_INT16_SCALE = 32768.0


class OpenJTalkVoice(Voice):
    """Open JTalk's HTS voice via ``pyopenjtalk.tts``, one sentence at a time; one speaker, ``mei``.

    Pitch shifts go to the HTS engine's ``half_tone``; pyopenjtalk exposes no intonation scale.
    """

    controls = frozenset({"pitch"})

    def __init__(self) -> None:
        super().__init__(OPENJTALK_NAME, "Open JTalk (mei)", _SAMPLE_RATE, ("mei",), "mei")

    def stream(
        self,
        text: str,
        *,
        speaker: str | None = None,
        speed: float = 1.0,
        pitch: float = 0.0,
        intonation: float = 1.0,
    ) -> Iterator[np.ndarray]:
        """See :meth:`Voice.stream`; ``speed`` and ``pitch`` are passed to the HTS engine."""
        self.resolve_speaker(speaker)
        self.check_pitch(pitch, intonation)
        return self._generate(text, self.clamp_speed(speed), pitch)

    def _generate(self, text: str, speed: float, pitch: float) -> Iterator[np.ndarray]:
        for sentence in split_sentences(text):
            readable = openjtalk_text(sentence)
            if not readable:
                continue
            audio, _ = pyopenjtalk.tts(readable, speed=speed, half_tone=pitch)
            if audio.size:
                yield np.clip(audio / _INT16_SCALE, -1.0, 1.0).astype(np.float32)
