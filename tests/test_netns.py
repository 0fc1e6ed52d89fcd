"""The session runs in a loopback-only network namespace (:mod:`tests.netns`): no test traffic
can leave the machine, and Ray (see :mod:`tests.ray_cluster`) can only bind to loopback."""

from __future__ import annotations

import socket

import pytest

from tests import netns


def test_only_loopback() -> None:
    if not netns.inside():
        pytest.skip(f"not in the test network namespace ({netns.ENV} is not {netns.INSIDE!r})")
    # /sys/class/net would show the interfaces of the namespace that mounted /sys, not ours.
    assert [name for _, name in socket.if_nameindex()] == ["lo"]
