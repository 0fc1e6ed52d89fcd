"""The session runs in a loopback-only network namespace (:mod:`tests.netns`), where a real
local Ray cluster (:mod:`tests.ray_cluster`) starts and notices the loss of a node."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import netns
from tests.ray_cluster import RayCluster

# A Ray driver in its own process (Ray stays out of pytest's): for each line "N" on stdin, it
# waits (up to 60 s) for N alive nodes, then prints "NODES" and {node id: alive} of every node
# Ray knows (Ray writes its own messages on stdout too).
_DRIVER = """
import json, sys, time
import ray
ray.init(address=sys.argv[1], logging_level="ERROR", log_to_driver=False)
for line in sys.stdin:
    deadline = time.monotonic() + 60
    nodes = ray.nodes()
    while sum(n["Alive"] for n in nodes) != int(line) and time.monotonic() < deadline:
        time.sleep(0.2)
        nodes = ray.nodes()
    print("NODES", json.dumps({n["NodeID"]: n["Alive"] for n in nodes}), flush=True)
"""


def test_only_loopback() -> None:
    if not netns.inside():
        pytest.skip(f"not in the test network namespace ({netns.ENV} is not {netns.INSIDE!r})")
    # /sys/class/net would show the interfaces of the namespace that mounted /sys, not ours.
    assert [name for _, name in socket.if_nameindex()] == ["lo"]


def test_ray_sees_a_removed_node_die(ray_cluster: RayCluster, tmp_path: Path) -> None:
    errors = tmp_path / "driver.err"
    with (
        errors.open("w") as stderr,
        subprocess.Popen(
            [sys.executable, "-c", _DRIVER, ray_cluster.address],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as driver,
    ):
        assert driver.stdin is not None and driver.stdout is not None

        def nodes(alive: int) -> dict[str, bool]:
            assert driver.stdin is not None and driver.stdout is not None
            driver.stdin.write(f"{alive}\n")
            driver.stdin.flush()
            for line in driver.stdout:
                if line.startswith("NODES "):
                    return dict(json.loads(line.removeprefix("NODES ")))
            pytest.fail(f"the Ray driver died:\n{errors.read_text()[-3000:]}")

        try:
            before = nodes(2)
            assert sum(before.values()) == 2, f"not a head and a node (a test removed one?): {before}"
            extra = ray_cluster.add_node()
            try:
                during = nodes(3)
            finally:
                ray_cluster.remove_node(extra)
            removed_at = time.monotonic()
            after = nodes(2)
            waited = time.monotonic() - removed_at
        finally:
            driver.stdin.close()
            driver.wait(timeout=60)
    assert sum(during.values()) == 3, during
    (added,) = set(during) - set(before)
    assert after[added] is False and sum(after.values()) == 2, after
    assert waited < 30
