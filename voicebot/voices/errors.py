"""Errors raised by voice files and voices.

Every message names the file or voice and says what to do, so the CLI and the bot can show
it as it is.
"""

from __future__ import annotations

from voicebot.errors import VoicebotError

__all__ = [
    "InvalidSpeed",
    "NotAVoiceFile",
    "UnknownSpeaker",
    "UnsafeVoicePath",
    "VoiceFileChanged",
    "VoiceFileCorrupt",
    "VoiceFileError",
    "VoiceFileIncompatible",
    "VoiceFileTooLarge",
]


class VoiceFileError(VoicebotError):
    """A voice file was refused; the message says why and what to do."""


class NotAVoiceFile(VoiceFileError):
    """The file is something else: a PyTorch pickle or zip checkpoint, or not safetensors at all."""


class VoiceFileCorrupt(VoiceFileError):
    """A safetensors file whose header or tensor data is malformed, or whose weights are not finite."""


class VoiceFileIncompatible(VoiceFileError):
    """A well-formed voice file that this voicebot cannot use (architecture, version, symbols, tensors)."""


class VoiceFileTooLarge(VoiceFileError):
    """The file is larger than the size limit."""


class VoiceFileChanged(VoiceFileError):
    """The file was modified or replaced while it was being read."""


class UnsafeVoicePath(VoiceFileError):
    """A voice name or path that could escape the models folder, or a symlink or special file."""


class UnknownSpeaker(VoicebotError):
    """A speaker name the voice does not have; the message lists the ones it has."""


class InvalidSpeed(VoicebotError):
    """A speaking speed that is not a positive number."""


class InvalidPitch(VoicebotError):
    """A pitch shift or intonation outside its range, or one the voice cannot change."""
