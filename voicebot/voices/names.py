"""Voice names: the file stem of a voice in the models folder.

A name comes from users (uploads, slash commands, settings), so it is checked before it
becomes part of a path: no separators, no traversal, no hidden files, nothing unprintable.
"""

from __future__ import annotations

from voicebot.voices.errors import UnsafeVoicePath

__all__ = [
    "MAX_NAME_CHARS",
    "OPENJTALK_NAME",
    "VOICE_SUFFIX",
    "validate_voice_name",
    "voice_name_from_filename",
]

VOICE_SUFFIX = ".safetensors"
OPENJTALK_NAME = "openjtalk"
MAX_NAME_CHARS = 64


def validate_voice_name(name: str) -> str:
    """Return ``name`` if it is safe to use as a file stem in the models folder.

    Raises:
        UnsafeVoicePath: empty, too long, a separator or NUL, a leading dot (hidden files,
            ``..``), leading or trailing spaces, unprintable characters, or the built-in
            ``openjtalk`` name.
    """
    hint = "use letters, digits, '-' or '_', e.g. 'my-voice'"
    if not name:
        raise UnsafeVoicePath(f"a voice name cannot be empty: {hint}")
    if len(name) > MAX_NAME_CHARS:
        raise UnsafeVoicePath(f"voice name {name[:16]!r}... is longer than {MAX_NAME_CHARS} characters")
    if "\x00" in name or "/" in name or "\\" in name:
        raise UnsafeVoicePath(f"voice name {name!r} contains a path separator or NUL: {hint}")
    if name.startswith("."):
        raise UnsafeVoicePath(f"voice name {name!r} starts with '.' (hidden file or '..'): {hint}")
    if name != name.strip() or not name.isprintable():
        raise UnsafeVoicePath(f"voice name {name!r} has unprintable characters or surrounding spaces: {hint}")
    if name.lower() == OPENJTALK_NAME:
        raise UnsafeVoicePath(f"{OPENJTALK_NAME!r} is the name of the built-in voice: pick another name")
    return name


def voice_name_from_filename(filename: str) -> str:
    """The voice name of an uploaded or stored file name such as ``kumo.safetensors``.

    Only the bare file name is accepted: a directory part (``../x.safetensors``,
    ``/etc/x.safetensors``) is refused, not stripped.

    Raises:
        UnsafeVoicePath: the name does not end in ``.safetensors`` or its stem is not a
            valid voice name (see :func:`validate_voice_name`).
    """
    if not filename.endswith(VOICE_SUFFIX):
        raise UnsafeVoicePath(
            f"{filename!r} is not a voice file name: voice files end in {VOICE_SUFFIX} "
            "(a .pt/.pth/.ckpt checkpoint must be converted with `voicebot export`)"
        )
    return validate_voice_name(filename.removesuffix(VOICE_SUFFIX))
