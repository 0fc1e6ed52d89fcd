"""Run the whole test session in a fresh network namespace that has only loopback.

Ray binds its processes to the machine's network interface address even with
``--node-ip-address=127.0.0.1``, and on the development machines traffic to any address but
loopback is blocked, so a local Ray cluster cannot start there. Inside a new network namespace
(``unshare -n``, then ``ip link set lo up``) loopback is the only interface, so Ray has no other
address to pick. Every other test (the fake Discord server, Postgres, subprocesses) only uses
loopback, so the whole session can run there.

At startup (:func:`reexec`, from the root ``conftest.py``) pytest re-executes its own command
line under ``unshare -n``, with ``TEST_NETNS=inside`` so the second run does not do it again;
``exec`` keeps the process, so its exit code is the command's. That needs root and the
``unshare`` and ``ip`` commands; without them the session runs in place (and the Ray tests
skip). ``TEST_NETNS=off`` turns it off. Like ``REQUIRE_POSTGRES`` it is not a ``VOICEBOT_``
variable: the bot warns of those it does not know, and tests read its warnings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

__all__ = ["ENV", "INSIDE", "inside", "reexec"]

ENV = "TEST_NETNS"
INSIDE = "inside"
# `sh -c SCRIPT sh ARGV...`: "$@" is ARGV, and exec keeps the process (and so the exit code).
_SCRIPT = 'ip link set lo up && exec "$@"'


def inside() -> bool:
    """Whether this process runs in the loopback-only namespace that :func:`reexec` made."""
    return os.environ.get(ENV) == INSIDE


def _wrap(argv: list[str]) -> list[str]:
    return ["unshare", "-n", "--", "sh", "-c", _SCRIPT, "sh", *argv]


def reexec(config: pytest.Config) -> None:
    """Replace this pytest process by the same command in a new network namespace, or return
    (doing nothing) where that is off, already done, or not possible."""
    if os.environ.get(ENV) in ("off", INSIDE) or os.geteuid() != 0:
        return
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return
    if config.invocation_params.args != tuple(sys.argv[1:]):
        return  # pytest.main([...]) called from Python code: there is no command line to repeat
    probe = subprocess.run(_wrap(["true"]), capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or [f"exit code {probe.returncode}"])[-1]
        print(f"warning: the tests run outside a loopback-only network namespace ({why})", file=sys.stderr)
        return
    # pytest captures fds 1 and 2 into temporary files: give the terminal back first.
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.stop_global_capturing()
    sys.stdout.flush()
    sys.stderr.flush()
    argv = [sys.executable, *sys.orig_argv[1:]]
    os.execvpe("unshare", _wrap(argv), {**os.environ, ENV: INSIDE})
