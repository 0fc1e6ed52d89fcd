"""The engine on a real local Ray cluster (``VOICEBOT_ENGINE=ray``): streaming from Serve
replicas, voices reaching them, and the faults a cluster has (a replica killed mid-stream, a
node removed).

The cluster (a head and a second node, see :mod:`tests.ray_cluster`) runs in the loopback-only
network namespace the suite runs in; without one these tests skip (CI requires them).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio

from tests.e2e.conftest import until
from tests.engine.conftest import FAST, audio, collect, tiny_voice_settings
from tests.engine.test_engine_neural import LONG_TEXT, TEXT, _reference
from tests.ray_cluster import RayCluster, delete_application
from voicebot.engine import Engine, VoiceRejected
from voicebot.engine.cluster.deploy import replica_count  # replicas Serve routes requests to

pytestmark = pytest.mark.asyncio(loop_scope="module")

_REPLICA_TITLE = b"ServeReplica:voicebot:synthesis"


def _replica_pids() -> list[int]:
    """The processes of the deployment's replicas (Ray titles them after the deployment)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    if _REPLICA_TITLE in cmdline.read():
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster_engine(
    ray_cluster: RayCluster, tmp_path_factory: pytest.TempPathFactory, tiny_voice_file: Path
) -> AsyncIterator[Engine]:
    """The tiny voice as ``tiny`` on two replicas of one CPU each: one per node of the cluster."""
    import ray

    settings = tiny_voice_settings(
        tmp_path_factory.mktemp("cluster-engine"),
        tiny_voice_file,
        engine="ray",
        ray_address=ray_cluster.address,
        ray_replica_cpus=1,
        ray_min_replicas=2,
        ray_max_replicas=2,
    )
    engine = Engine(settings, FAST)
    await engine.start()
    yield engine
    await engine.close()
    delete_application(ray_cluster.address)
    await asyncio.to_thread(ray.shutdown)  # the engine joined the cluster from a thread, like the bot


async def test_replicas_stream_the_voices_own_synthesis(
    cluster_engine: Engine, tiny_voice_file: Path
) -> None:
    chunks = await collect(cluster_engine.synthesize(TEXT, voice="tiny"))
    assert len(chunks) > 1 and {c.voice for c in chunks} == {"tiny"}
    np.testing.assert_allclose(audio(chunks), await _reference(tiny_voice_file, TEXT), atol=1e-5)
    assert len(_replica_pids()) == 2


async def test_an_upload_reaches_the_replicas_and_a_refused_file_never_does(
    cluster_engine: Engine, second_voice_file: Path, tiny_voice_file: Path, tmp_path: Path
) -> None:
    import ray

    from voicebot.engine.cluster.store import NAMESPACE, STORE_NAME

    running = cluster_engine.synthesize(LONG_TEXT, voice="tiny")
    first = await anext(running)
    upload = tmp_path / "upload.safetensors"
    upload.write_bytes(second_voice_file.read_bytes())
    await cluster_engine.install(upload, name="tiny")  # a new version while a request runs
    rest = [chunk async for chunk in running]
    np.testing.assert_allclose(  # the running request finished on the version it started with
        audio([first, *rest]), await _reference(tiny_voice_file, LONG_TEXT), atol=1e-5
    )
    new = await collect(cluster_engine.synthesize(TEXT, voice="tiny"))
    np.testing.assert_allclose(audio(new), await _reference(second_voice_file, TEXT), atol=1e-5)

    bad = tmp_path / "hostile.safetensors"
    bad.write_bytes(b"\x80\x04not a voice at all" * 100)
    with pytest.raises(VoiceRejected):
        await cluster_engine.install(bad, name="hostile")
    store = ray.get_actor(STORE_NAME, namespace=NAMESPACE)
    assert "hostile" not in {name for name, _ in await store.held.remote()}

    for pid in _replica_pids():  # replicas started after the upload get the current version
        os.kill(pid, signal.SIGKILL)
    new = await collect(cluster_engine.synthesize(TEXT, voice="tiny", timeout=120))
    np.testing.assert_allclose(audio(new), await _reference(second_voice_file, TEXT), atol=1e-5)
    upload.write_bytes(tiny_voice_file.read_bytes())
    await cluster_engine.install(upload, name="tiny")  # as the other tests expect it


async def test_a_replica_killed_mid_stream_the_requests_finish_elsewhere(
    cluster_engine: Engine, tiny_voice_file: Path
) -> None:
    await until(lambda: replica_count() == 2, timeout=60)
    expected = await _reference(tiny_voice_file, LONG_TEXT)
    streams = [cluster_engine.synthesize(LONG_TEXT, voice="tiny", guild_id=g) for g in (1, 2)]
    firsts = [await anext(stream) for stream in streams]
    os.kill(_replica_pids()[0], signal.SIGKILL)
    started = time.monotonic()
    for first, stream in zip(firsts, streams, strict=True):
        rest = [chunk async for chunk in stream]  # resumed after the chunks already delivered
        np.testing.assert_allclose(audio([first, *rest]), expected, atol=1e-5)
    assert time.monotonic() - started < 30
    await until(lambda: replica_count() == 2, timeout=60)  # Serve replaced it


async def test_a_node_removed_the_cluster_keeps_speaking(
    cluster_engine: Engine,
    ray_cluster: RayCluster,
    tiny_voice_file: Path,
    second_voice_file: Path,
    tmp_path: Path,
) -> None:
    await until(lambda: replica_count() == 2, timeout=60)
    expected = await _reference(tiny_voice_file, LONG_TEXT)
    streams = [cluster_engine.synthesize(LONG_TEXT, voice="tiny", guild_id=g) for g in (3, 4)]
    firsts = [await anext(stream) for stream in streams]
    ray_cluster.remove_node(ray_cluster.nodes[-1])  # one replica per node: one of them is gone
    upload = tmp_path / "upload.safetensors"
    try:
        for first, stream in zip(firsts, streams, strict=True):
            rest = [chunk async for chunk in stream]
            np.testing.assert_allclose(audio([first, *rest]), expected, atol=1e-5)
        await until(lambda: len(_replica_pids()) == 1, timeout=30)
        # The voices did not live on the lost node: an upload still reaches the replicas.
        upload.write_bytes(second_voice_file.read_bytes())
        await cluster_engine.install(upload, name="tiny")
        new = await collect(cluster_engine.synthesize(TEXT, voice="tiny", guild_id=5))
        np.testing.assert_allclose(audio(new), await _reference(second_voice_file, TEXT), atol=1e-5)
    finally:
        ray_cluster.add_node()  # the session's cluster has its second node again
        upload.write_bytes(tiny_voice_file.read_bytes())
        await cluster_engine.install(upload, name="tiny")
