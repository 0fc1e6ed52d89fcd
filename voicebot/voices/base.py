"""The :class:`Voice` interface shared by the neural voices and the Open JTalk voice."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator

import numpy as np

from voicebot.model import ModelInputError, PitchControl
from voicebot.voices.errors import InvalidPitch, InvalidSpeed, UnknownSpeaker

__all__ = ["MAX_SPEED", "MIN_SPEED", "Voice", "check_pitch_range", "missing_control"]

MIN_SPEED = 0.5
MAX_SPEED = 2.0


def check_pitch_range(pitch: float, intonation: float) -> PitchControl:
    """``PitchControl(pitch, intonation)``, or :class:`InvalidPitch` naming the allowed range."""
    try:
        return PitchControl(float(pitch), float(intonation)).check()
    except ModelInputError as exc:
        raise InvalidPitch(str(exc)) from None


def missing_control(
    controls: frozenset[str] | tuple[str, ...], pitch: float, intonation: float
) -> str | None:
    """The first of ``pitch`` / ``intonation`` that asks for a change outside ``controls``, else None."""
    for name, value, neutral in (("pitch", pitch, 0.0), ("intonation", intonation, 1.0)):
        if value != neutral and name not in controls:
            return name
    return None


class Voice(ABC):
    """Something that speaks normalized Japanese text.

    Attributes:
        name: how users and settings refer to the voice (a file stem, or ``openjtalk``).
        display_name: a human-readable name.
        sample_rate: Hz of the audio it yields.
        speakers: speaker names; the first is not necessarily the default.
        controls: which of ``pitch`` and ``intonation`` this voice can change.
    """

    controls: frozenset[str] = frozenset()

    def __init__(
        self, name: str, display_name: str, sample_rate: int, speakers: tuple[str, ...], default_speaker: str
    ) -> None:
        self.name = name
        self.display_name = display_name
        self.sample_rate = sample_rate
        self.speakers = speakers
        self.default_speaker = default_speaker

    def resolve_speaker(self, speaker: str | None) -> str:
        """``speaker``, or the default speaker for ``None``.

        Raises:
            UnknownSpeaker: the voice has no such speaker; the message lists its speakers.
        """
        if speaker is None:
            return self.default_speaker
        if speaker not in self.speakers:
            raise UnknownSpeaker(
                f"voice {self.name!r} has no speaker {speaker!r}; "
                f"its speakers are: {', '.join(self.speakers)}"
            )
        return speaker

    @staticmethod
    def clamp_speed(speed: float) -> float:
        """``speed`` limited to [MIN_SPEED, MAX_SPEED].

        Raises:
            InvalidSpeed: not a positive finite number.
        """
        if not math.isfinite(speed) or speed <= 0:
            raise InvalidSpeed(f"speed must be a positive number such as 1.0 or 1.5, not {speed}")
        return min(max(speed, MIN_SPEED), MAX_SPEED)

    def check_pitch(self, pitch: float, intonation: float) -> PitchControl:
        """The pitch control for ``pitch`` semitones and ``intonation``.

        Raises:
            InvalidPitch: a value out of range (never clamped), or a change this voice cannot make.
        """
        control = check_pitch_range(pitch, intonation)
        missing = missing_control(self.controls, pitch, intonation)
        if missing is not None:
            neutral = "0" if missing == "pitch" else "1"
            raise InvalidPitch(
                f"the voice {self.display_name!r} cannot change its {missing}; leave it at {neutral} "
                "or pick a voice that can"
            )
        return control

    @abstractmethod
    def stream(
        self,
        text: str,
        *,
        speaker: str | None = None,
        speed: float = 1.0,
        pitch: float = 0.0,
        intonation: float = 1.0,
    ) -> Iterator[np.ndarray]:
        """Speak already normalized ``text``, sentence by sentence.

        Args:
            text: normalized text (see :func:`voicebot.text.normalize`).
            speaker: one of :attr:`speakers`, or ``None`` for the default.
            speed: 1.0 is normal; clamped to [0.5, 2.0].
            pitch: semitones up (negative: down), -12 to 12.
            intonation: how lively the pitch contour is, 0 (flat) to 2; 1 as trained.

        Yields:
            float32 arrays of shape (S_i,), mono, in [-1, 1], at :attr:`sample_rate`.

        Raises:
            UnknownSpeaker, InvalidSpeed, InvalidPitch: before any audio is produced.
        """

    def synthesize(
        self,
        text: str,
        *,
        speaker: str | None = None,
        speed: float = 1.0,
        pitch: float = 0.0,
        intonation: float = 1.0,
    ) -> np.ndarray:
        """All of :meth:`stream` at once.

        Returns:
            float32 array of shape (S,), empty when there is nothing to say.
        """
        chunks = list(self.stream(text, speaker=speaker, speed=speed, pitch=pitch, intonation=intonation))
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
