"""The audio path to Discord: loudness, resampling to 48 kHz stereo, 20 ms Opus packets, playback.

A voice session feeds each synthesized chunk through a :class:`LoudnessNormalizer` and an
:class:`OpusStreamEncoder` and hands the packets to an :class:`OpusPacketSource` that
discord.py's player reads from.
"""

from __future__ import annotations

from voicebot.audio.encoder import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, OpusStreamEncoder
from voicebot.audio.errors import AudioError
from voicebot.audio.loudness import LoudnessNormalizer, measure_loudness
from voicebot.audio.source import OpusPacketSource

__all__ = [
    "CHANNELS",
    "FRAME_SAMPLES",
    "SAMPLE_RATE",
    "AudioError",
    "LoudnessNormalizer",
    "OpusPacketSource",
    "OpusStreamEncoder",
    "measure_loudness",
]
