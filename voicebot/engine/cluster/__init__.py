"""Synthesis on a Ray cluster (``VOICEBOT_ENGINE=ray``): the engine's workers become replicas of
a Ray Serve deployment on any number of machines.

The engine keeps everything it does for local workers (fair queue, admission, voice
validation, retries); only where requests run changes. :class:`ClusterWorker` stands for the
whole deployment in the engine's worker list; each replica (:class:`SynthesisReplica`) runs the
same worker loop as a local worker process, so deadline scheduling and chunk streaming are the
same. Validated voice files reach the replicas through :class:`VoiceStore`, a named actor, not
a shared filesystem. Ray is an optional dependency: ``pip install "voicebot[ray]"``.
"""

from __future__ import annotations

from voicebot.engine.cluster.worker import ClusterWorker

__all__ = ["ClusterWorker"]
