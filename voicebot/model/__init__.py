"""MS-iSTFT-ET2, the voice model: EfficientTTS 2 alignment and VAE, iSTFT waveform decoder.

See ARCHITECTURE.md for the contract. Inference needs only :class:`ET2Model` built with
``training=False``; :class:`SpectrogramFeatures` and :class:`TrainOutput` serve training.
"""

from __future__ import annotations

from voicebot.model.config import ModelConfig
from voicebot.model.errors import ModelInputError
from voicebot.model.features import SpectrogramFeatures
from voicebot.model.model import ET2Model, TrainOutput
from voicebot.model.pitch import MAX_INTONATION, MAX_PITCH_SEMITONES, MIN_INTONATION, PitchControl, PitchTrack

__all__ = [
    "MAX_INTONATION",
    "MAX_PITCH_SEMITONES",
    "MIN_INTONATION",
    "ET2Model",
    "ModelConfig",
    "ModelInputError",
    "PitchControl",
    "PitchTrack",
    "SpectrogramFeatures",
    "TrainOutput",
]
