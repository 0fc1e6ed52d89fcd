"""The audio path to Discord: loudness, resampling to 48 kHz stereo, 20 ms Opus packets, playback.

A voice session hands each synthesized chunk to a :class:`SpeechSource`, which discord.py's
player reads from: it runs each chunk through a :class:`LoudnessNormalizer` and an
:class:`OpusStreamEncoder` one 20 ms frame at a time, as the player needs them.
"""

from __future__ import annotations

from voicebot.audio.encoder import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, OpusStreamEncoder
from voicebot.audio.errors import AudioError
from voicebot.audio.loudness import LoudnessNormalizer, measure_loudness
from voicebot.audio.source import SpeechSource

__all__ = [
    "CHANNELS",
    "FRAME_SAMPLES",
    "SAMPLE_RATE",
    "AudioError",
    "LoudnessNormalizer",
    "OpusStreamEncoder",
    "SpeechSource",
    "measure_loudness",
]
