"""MS-iSTFT-ET2, the voice model: EfficientTTS 2 alignment and VAE, iSTFT waveform decoder.

See ARCHITECTURE.md for the contract. Inference needs only :class:`ET2Model` built with
``training=False``; :class:`SpectrogramFeatures` and :class:`TrainOutput` serve training.
"""

from __future__ import annotations

from voicebot.model.config import ModelConfig
from voicebot.model.errors import ModelInputError
from voicebot.model.features import SpectrogramFeatures
from voicebot.model.model import ET2Model, TrainOutput

__all__ = ["ET2Model", "ModelConfig", "ModelInputError", "SpectrogramFeatures", "TrainOutput"]
