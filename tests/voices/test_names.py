"""Voice names coming from users never escape the models folder."""

from __future__ import annotations

import pytest

from voicebot.voices import UnsafeVoicePath, validate_voice_name, voice_name_from_filename


@pytest.mark.parametrize(
    ("filename", "reason"),
    [
        ("../x.safetensors", "separator"),
        ("/etc/x.safetensors", "separator"),
        ("a/b.safetensors", "separator"),
        ("a\\b.safetensors", "separator"),
        ("x\x00.safetensors", "NUL"),
        (".hidden.safetensors", "starts with '.'"),
        ("...safetensors", "starts with '.'"),
        (".safetensors", "cannot be empty"),
        ("x.pt", "not a voice file name"),
        ("x.safetensors.pt", "voicebot export"),
        ("tab\t.safetensors", "unprintable"),
        (" lead.safetensors", "spaces"),
        ("openjtalk.safetensors", "built-in voice"),
        ("x" * 65 + ".safetensors", "longer than 64"),
    ],
)
def test_unsafe_file_names_are_refused_with_a_reason(filename: str, reason: str) -> None:
    with pytest.raises(UnsafeVoicePath, match=reason):
        voice_name_from_filename(filename)


@pytest.mark.parametrize("name", ["default", "kumo-v2", "jf_alpha", "つくよみ", "a.b"])
def test_ordinary_names_are_kept(name: str) -> None:
    assert voice_name_from_filename(f"{name}.safetensors") == name
    assert validate_voice_name(name) == name
