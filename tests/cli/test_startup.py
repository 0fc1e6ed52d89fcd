"""The ``voicebot`` command starts fast: building its parser imports no torch, no voices, no engine."""

from __future__ import annotations

import subprocess
import sys

import pytest

from voicebot.cli import SUBCOMMANDS, build_parser
from voicebot.voices import OPENJTALK_NAME, VOICE_SUFFIX

HEAVY = ("torch", "voicebot.voices", "voicebot.engine", "voicebot.model", "voicebot.training")

_PROBE = """
import contextlib, io, sys
from voicebot.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
    main(sys.argv[1:])
print(out.getvalue())
print("LOADED", *sorted(m for m in {heavy!r} if m in sys.modules))
"""


def _run(*argv: str) -> tuple[str, list[str]]:
    """Run ``voicebot argv`` in a fresh interpreter; its output and the heavy modules it loaded."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out, _, loaded = result.stdout.rpartition("LOADED")
    return out, loaded.split()


@pytest.mark.parametrize("argv", [["--help"], ["say", "--help"], ["bench", "model", "--help"]])
def test_help_loads_no_heavy_module(argv: list[str]) -> None:
    out, loaded = _run(*argv)
    assert "usage: voicebot" in out
    assert loaded == []


def test_help_lists_every_subcommand() -> None:
    out, _ = _run("--help")
    assert all(name in out for name in SUBCOMMANDS)


def test_say_help_names_the_real_voice_suffix_and_fallback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["say", "--help"])
    out = capsys.readouterr().out
    assert VOICE_SUFFIX in out and OPENJTALK_NAME in out
