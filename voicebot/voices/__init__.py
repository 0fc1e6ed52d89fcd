"""Voice files and the voices that speak: see ARCHITECTURE.md, ``voicebot.voices``.

A voice file is one ``.safetensors`` file (weights plus metadata), validated completely
before use and never unpickled. :class:`NeuralVoice` speaks with the model of such a file,
:class:`OpenJTalkVoice` with the classic HTS voice that is always available.
"""

from __future__ import annotations

from voicebot.voices.base import MAX_SPEED, MIN_SPEED, Voice, check_pitch_range, missing_control
from voicebot.voices.discovery import ModelsScan, discover_voices, nested_voices, scan_models
from voicebot.voices.errors import (
    InvalidPitch,
    InvalidSpeed,
    NotAVoiceFile,
    UnknownSpeaker,
    UnsafeVoicePath,
    VoiceFileChanged,
    VoiceFileCorrupt,
    VoiceFileError,
    VoiceFileIncompatible,
    VoiceFileTooLarge,
)
from voicebot.voices.file import MAX_VOICE_BYTES, read_voice_file, write_voice_file
from voicebot.voices.meta import ARCHITECTURE, FORMAT_NAME, FORMAT_VERSION, VoiceMeta
from voicebot.voices.names import OPENJTALK_NAME, VOICE_SUFFIX, validate_voice_name, voice_name_from_filename
from voicebot.voices.neural import NeuralVoice
from voicebot.voices.openjtalk import OpenJTalkVoice

__all__ = [
    "ARCHITECTURE",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_SPEED",
    "MAX_VOICE_BYTES",
    "MIN_SPEED",
    "OPENJTALK_NAME",
    "VOICE_SUFFIX",
    "InvalidPitch",
    "InvalidSpeed",
    "ModelsScan",
    "NeuralVoice",
    "NotAVoiceFile",
    "OpenJTalkVoice",
    "UnknownSpeaker",
    "UnsafeVoicePath",
    "Voice",
    "VoiceFileChanged",
    "VoiceFileCorrupt",
    "VoiceFileError",
    "VoiceFileIncompatible",
    "VoiceFileTooLarge",
    "VoiceMeta",
    "check_pitch_range",
    "discover_voices",
    "missing_control",
    "nested_voices",
    "read_voice_file",
    "scan_models",
    "validate_voice_name",
    "voice_name_from_filename",
    "write_voice_file",
]
