"""Joining the Ray cluster and finding (or creating) the synthesis deployment on it."""

from __future__ import annotations

import importlib.util
import logging
import math
import socket
from typing import Any

from voicebot.config import Settings
from voicebot.engine.cluster.replica import ReplicaConfig, SynthesisReplica
from voicebot.engine.cluster.store import NAMESPACE, STORE_NAME, VoiceStore
from voicebot.engine.errors import EngineUnavailable

__all__ = ["APP_NAME", "application", "deployment", "join", "probe", "replica_count", "require_ray"]

APP_NAME = "voicebot"
_DEPLOYMENT = "synthesis"
_PROBE_TIMEOUT_S = 5.0
# Ray gives the head node this resource. The store lives there, beside the cluster's control
# processes (Serve places its controller the same way): a lost worker node must not take the
# voices with it, and losing the head loses the cluster anyway.
_HEAD_NODE = {"node:__internal_head__": 0.001}
_log = logging.getLogger(__name__)


def application(settings: Settings, max_ongoing: int) -> Any:
    """The Serve application: :class:`SynthesisReplica` replicas as the settings size them.

    Args:
        max_ongoing: requests one replica runs at once (its worker interleaves them by deadline).
    """
    from ray import serve

    gpus = settings.ray_replica_gpus
    config = ReplicaConfig(
        device="cuda" if gpus > 0 else "cpu",
        torch_threads=max(1, math.floor(settings.ray_replica_cpus)),
        compile=settings.compile,
        precision=settings.precision,
    )
    deployment = serve.deployment(
        SynthesisReplica,
        name=_DEPLOYMENT,
        ray_actor_options={"num_cpus": settings.ray_replica_cpus, "num_gpus": gpus},
        max_ongoing_requests=max_ongoing,
        autoscaling_config={
            "min_replicas": settings.ray_min_replicas,
            "max_replicas": settings.ray_max_replicas,
            "target_ongoing_requests": settings.ray_target_ongoing,
        },
        health_check_period_s=2.0,
        health_check_timeout_s=10.0,
        graceful_shutdown_timeout_s=5.0,
    )
    return deployment.bind(config)


def join(settings: Settings) -> Any:
    """Join the cluster at ``ray_address``; returns the voice store's actor handle, started on
    the head node when no process has started it yet (blocking:
    call it off the event loop).

    Raises:
        EngineUnavailable: Ray is not installed, or the cluster is unreachable.
    """
    require_ray()
    import ray

    probe(settings.ray_address)  # also when joined already: the answer must not depend on that
    if not ray.is_initialized():
        try:
            ray.init(
                address=settings.ray_address,
                namespace=NAMESPACE,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise _unreachable(settings.ray_address, _first_line(exc)) from None
    return (
        ray.remote(VoiceStore)
        .options(
            name=STORE_NAME,
            namespace=NAMESPACE,
            lifetime="detached",
            get_if_exists=True,
            num_cpus=0,
            resources=_HEAD_NODE,
        )
        .remote()
    )


def deployment(settings: Settings, max_ongoing: int) -> Any:
    """The running synthesis deployment's handle, deploying it first when no process has
    (blocking; after :func:`join`). Replicas load the store's latest voices as they start.

    Raises:
        EngineUnavailable: the deployment did not start.
    """
    from ray import serve

    try:
        handle = serve.get_app_handle(APP_NAME)
    except Exception:  # Serve raises RayServeException (or KeyError) for an app that does not exist
        _log.info("deploying the synthesis application on the Ray cluster")
        try:
            handle = serve.run(application(settings, max_ongoing), name=APP_NAME, route_prefix=None)
        except Exception as exc:  # a replica that cannot start fails the deployment: say why
            raise EngineUnavailable(
                f"the synthesis deployment did not start on the Ray cluster: {_first_line(exc)}"
            ) from None
    return handle


def replica_count() -> int | None:
    """Running replicas of the deployment now, or None when Serve cannot tell (blocking)."""
    from ray import serve

    try:
        status = serve.status().applications[APP_NAME].deployments[_DEPLOYMENT]
    except Exception:  # the controller is restarting, or the app is gone: keep the last count
        return None
    return int(status.replica_states.get("RUNNING", 0))


def require_ray() -> None:
    """Raises: EngineUnavailable: Ray Serve is not installed."""
    if importlib.util.find_spec("ray") is None or importlib.util.find_spec("ray.serve") is None:
        raise EngineUnavailable(
            'VOICEBOT_ENGINE=ray needs Ray Serve: pip install "voicebot[ray]" (or set VOICEBOT_ENGINE=local)'
        )


def probe(address: str) -> None:
    """Fail in seconds when a ``host:port`` address does not answer (Ray itself retries for
    minutes before it gives up); ``auto`` is not checked here.

    Raises:
        EngineUnavailable: nothing answers there.
    """
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return  # "auto": Ray finds the local cluster or fails at once
    try:
        socket.create_connection((host, int(port)), timeout=_PROBE_TIMEOUT_S).close()
    except OSError as exc:
        raise _unreachable(address, str(exc.strerror or exc)) from None


def _unreachable(address: str, reason: str) -> EngineUnavailable:
    return EngineUnavailable(
        f"cannot reach the Ray cluster at VOICEBOT_RAY_ADDRESS={address} ({reason}): "
        "start it with `ray start --head` (see README 'Scaling out') or set VOICEBOT_ENGINE=local"
    )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
