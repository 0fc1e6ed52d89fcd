"""A real local Ray cluster for the tests: a head and simulated worker nodes, all on 127.0.0.1.

Each node is a ``ray start --block`` process that leads its own session: Ray's daemons and
workers stay in that session, so killing the session's processes removes exactly that node (a
crash, as when a machine is lost) and nothing else. ``ray stop`` is not used: it kills every Ray
process of the machine, other people's clusters included.

Ray starts only in the loopback-only network namespace of :mod:`tests.netns` (see there why).
Without Ray, or outside the namespace, the tests that need the cluster are skipped, unless
``REQUIRE_RAY=required`` makes that a failure. Ray is never imported by the pytest process: the
tests talk to the cluster from subprocesses.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests import netns

__all__ = ["RayCluster", "RayNode", "delete_application", "local_ray_cluster"]

RAY = Path(sys.executable).parent / "ray"
_STARTED = b"Ray runtime started."


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _end_with_parent() -> None:
    """In the child before exec: SIGTERM when pytest dies without stopping the cluster (then
    ``ray start --block`` stops its node)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _session_members(sid: int) -> list[int]:
    """The live (not zombie) processes of session ``sid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
        fields = stat.rpartition(")")[2].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


class RayNode:
    """One node: a ``ray start --block`` process, its output in ``log``."""

    def __init__(self, name: str, args: list[str], log: Path, timeout: float) -> None:
        self.name = name
        self.log = log
        env = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(RAY), "start", "--block", "--node-ip-address=127.0.0.1", *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=_end_with_parent,
            )
        self._wait_started(timeout)

    def _wait_started(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while _STARTED not in self.log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"Ray {self.name} node did not start; its output ends with:\n{tail}")
            time.sleep(0.1)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self, timeout: float = 30.0) -> None:
        """SIGKILL every process of the node's session, then wait until none is left."""
        deadline = time.monotonic() + timeout
        while members := _session_members(self.process.pid):
            for pid in members:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.poll()  # reap the leader, or it stays a zombie of ours
            if time.monotonic() > deadline:
                raise RuntimeError(f"Ray {self.name} node: processes {members} survive SIGKILL")
            time.sleep(0.05)
        self.process.wait()


class RayCluster:
    """A head node on ``127.0.0.1:<free port>`` (started by the constructor) and the nodes of
    :meth:`add_node` (``nodes``, the head first); :meth:`stop` ends them all and removes the
    temporary folder."""

    def __init__(self, num_cpus: int = 1, *, object_store_mb: int = 200, timeout: float = 120.0) -> None:
        # Ray's Unix sockets live in the temporary folder: its path must stay short (108 bytes).
        self.folder = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
        self.port = _free_port()
        self.object_store_mb = object_store_mb
        self.timeout = timeout
        self.nodes: list[RayNode] = []
        try:
            self.head = self._start(
                "head",
                num_cpus,
                "--head",
                f"--port={self.port}",
                "--disable-usage-stats",
                "--include-dashboard=false",
                f"--temp-dir={self.folder}",
            )
        except BaseException:
            self.stop()
            raise

    @property
    def address(self) -> str:
        """The GCS address to give ``ray.init(address=...)`` or ``ray start --address``."""
        return f"127.0.0.1:{self.port}"

    def _start(self, name: str, num_cpus: int, *args: str) -> RayNode:
        log = self.folder / f"{name}.log"
        options = [f"--num-cpus={num_cpus}", f"--object-store-memory={self.object_store_mb * 1024 * 1024}"]
        node = RayNode(name, [*args, *options], log, self.timeout)
        self.nodes.append(node)
        return node

    def add_node(self, num_cpus: int = 1) -> RayNode:
        """Start one more node, joined to the head; returns once Ray has registered it."""
        return self._start(f"node{len(self.nodes)}", num_cpus, f"--address={self.address}")

    def remove_node(self, node: RayNode) -> None:
        """Kill a node (all its processes at once, like a crashed machine). The head notices its
        loss after its health checks fail, in seconds."""
        node.kill()
        self.nodes.remove(node)

    def stop(self) -> None:
        """Kill every node, the head last, and remove the temporary folder."""
        for node in reversed(self.nodes):
            node.kill()
        self.nodes.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def delete_application(address: str, name: str = "voicebot") -> None:
    """Delete the Serve application ``name`` from the cluster, so that the next bot deploys it
    anew (in a subprocess: a driver in the pytest process would install Ray's signal handlers)."""
    script = (
        "import sys, ray; from ray import serve; "
        "ray.init(address=sys.argv[1], log_to_driver=False); serve.delete(sys.argv[2])"
    )
    command = [sys.executable, "-c", script, address, name]
    subprocess.run(command, check=True, capture_output=True, timeout=120)


@contextmanager
def local_ray_cluster(head_cpus: int = 1, node_cpus: tuple[int, ...] = (1,)) -> Iterator[RayCluster]:
    """A started head and one extra node per entry of ``node_cpus`` for the duration of the
    block (skip or fail without Ray or outside the namespace, see above)."""
    if importlib.util.find_spec("ray") is None or not RAY.is_file():
        reason = "Ray is not installed (pip install -e '.[dev]')"
    elif not netns.inside():
        reason = (
            "Ray needs the loopback-only network namespace that the tests enter as root "
            f"({netns.ENV}={netns.INSIDE}, see tests/netns.py)"
        )
    else:
        reason = ""
    if reason:
        if os.environ.get("REQUIRE_RAY") == "required":
            pytest.fail(reason)
        pytest.skip(reason)
    # Explicitly off: with the mode unset, Ray turns token authentication on whenever some
    # process of the machine left a token in ~/.ray, and then nodes of this cluster cannot join.
    os.environ["RAY_AUTH_MODE"] = "disabled"
    cluster = RayCluster(head_cpus)
    try:
        for cpus in node_cpus:
            cluster.add_node(cpus)
        yield cluster
    finally:
        cluster.stop()
