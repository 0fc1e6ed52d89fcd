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
# The HTS vocoder's synthesis filter occasionally diverges for a few frames (seen on long runs of
# one vowel: peaks 10^5 times full scale). Real speech from it stays within a few times full
# scale, so a 10 ms block above this is a blow-up and is muted rather than clipped into a burst
# of full-scale noise.
_BLOWUP_PEAK = 4.0
_BLOCK = _SAMPLE_RATE // 100
_CEILING = 0.99


def _tame(audio: np.ndarray) -> np.ndarray:
    """Scale HTS output to [-1, 1] without clipping: mute diverged blocks, then scale the sentence
    down as a whole if its peak is still over the ceiling (HTS overshoots by up to ~2x on loud
    sentences)."""
    audio = audio.astype(np.float64) / _INT16_SCALE
    blocks = audio[: audio.size // _BLOCK * _BLOCK].reshape(-1, _BLOCK)
    diverged = np.abs(blocks).max(axis=1) > _BLOWUP_PEAK
    blocks[diverged] = 0.0
    tail = audio[blocks.size :]
    if tail.size and np.abs(tail).max() > _BLOWUP_PEAK:
        tail[:] = 0.0
    peak = float(np.abs(audio).max(initial=0.0))
    if peak > _CEILING:
        audio *= _CEILING / peak
    return audio.astype(np.float32)


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
                yield _tame(audio)
