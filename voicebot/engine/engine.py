"""The TTS engine: voices, a supervised pool of worker processes, fair scheduling, hot reload.

Life of a request: :meth:`Engine.synthesize` checks the voice, answers short phrases from the
phrase cache, else queues the request in its guild's queue (bounded: :class:`EngineBusy` at
once when full). Whenever a worker has room, the next guild in rotation hands its oldest
request to the least-loaded worker, pinned to the voice version current at that moment.
Chunks stream back as the worker produces them.

Supervision: a worker that exits (crash, OOM kill, SIGKILL) or stops answering heartbeats,
or whose request makes no progress, is killed and replaced; its requests are retried once,
resuming after the chunks already delivered (synthesis is deterministic), else they fail
with :class:`SynthesisFailed`.

Hot reload: a new or changed voice file is copied to an immutable staged file, validated in
a memory-limited child process, loaded by every worker next to the old version, and only
then made current, in one step for the whole engine. Running requests finish on the old
version; the old version is dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicebot.config import Settings
from voicebot.engine.admission import Admission
from voicebot.engine.cache import PhraseCache, PhraseKey
from voicebot.engine.errors import EngineBusy, SynthesisFailed, UnknownVoice, VoiceRejected
from voicebot.engine.fairqueue import FairQueue, QueueFull
from voicebot.engine.outbox import Outbox
from voicebot.engine.pool import Worker, WorkerHandle, process_context
from voicebot.engine.protocol import (
    Cancel,
    Chunk,
    Done,
    DropVoice,
    Failed,
    LoadVoice,
    Lost,
    Ping,
    Pong,
    Ready,
    Synthesize,
    VoiceLoaded,
    VoiceLoadFailed,
    WorkerConfig,
)
from voicebot.engine.registry import OPENJTALK, ActiveVoice, VoiceRegistry
from voicebot.engine.staging import publish
from voicebot.engine.stream import Request, SynthesisStream
from voicebot.engine.validate import ValidatorLimits
from voicebot.engine.values import VoiceInfo, WorkerInfo
from voicebot.engine.watcher import ModelsWatcher
from voicebot.voices import VOICE_SUFFIX, Voice, VoiceFileError, check_pitch_range, validate_voice_name

__all__ = ["Engine", "EngineTuning"]

_log = logging.getLogger(__name__)

_MAX_ATTEMPTS = 2
_CRASH_LOOP_S = 60.0


@dataclass(frozen=True)
class EngineTuning:
    """Timings and limits that are not user settings (tests shorten them).

    Attributes:
        heartbeat_interval: seconds between pings to each worker.
        heartbeat_timeout: a worker silent this long is killed and replaced.
        stall_timeout: a request making no progress this long gets its worker killed.
        poll_interval: seconds between scans of the models directory.
        grace_period: seconds ``close()`` lets queued and running requests finish.
        start_timeout: seconds a worker may take to start (compiling included).
        validate_timeout: seconds the validator may take for one file.
        validate_memory_mb: address space the validator may add to what torch maps.
        validate_max_rtf: CPU seconds per second of speech a new voice may take.
        max_batch: requests batched together on a GPU worker (CPU workers stream one chunk at a
            time unless batching is forced with ``batch_on_cpu``).
        max_active: requests a worker keeps in flight; it advances the one whose playback needs
            audio first (see :mod:`voicebot.engine.deadlines`).
        max_active_per_guild: requests of one guild in the workers at once (the one playing and
            the next); the rest wait in the fair queue, so a busy guild cannot crowd out another.
        first_budget_s: worker time per worker that the first chunks still owed may take.
        batch_on_cpu: use the batching worker on CPU too (tests and benchmarks).
        cache_max_chars: texts up to this length are kept in the phrase cache.
    """

    heartbeat_interval: float = 2.0
    heartbeat_timeout: float = 15.0
    stall_timeout: float = 60.0
    poll_interval: float = 2.0
    grace_period: float = 5.0
    start_timeout: float = 600.0
    validate_timeout: float = 120.0
    validate_memory_mb: int = 2048
    validate_max_rtf: float = 5.0
    max_batch: int = 8
    max_active: int = 16
    max_active_per_guild: int = 2
    first_budget_s: float = 0.2
    batch_on_cpu: bool = False
    cache_max_chars: int = 24


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class Engine:
    """Speaks text with the voices of the models directory, in a pool of worker processes.

    Use ``await start()`` before anything else and ``await close()`` at the end (or
    ``async with Engine(settings) as engine``). All methods run on one event loop.
    """

    def __init__(self, settings: Settings, tuning: EngineTuning | None = None) -> None:
        self.settings = settings
        self.tuning = tuning or EngineTuning()
        self._device = "cpu"
        self._workers: list[Worker] = []
        self._queue: FairQueue[Request] = FairQueue(settings.engine_queue)
        self._context = process_context()
        limits = ValidatorLimits(
            memory_mb=self.tuning.validate_memory_mb,
            max_bytes=settings.max_upload_mb * 1024 * 1024,
            timeout=self.tuning.validate_timeout,
            max_rtf=self.tuning.validate_max_rtf,
        )
        self._registry = VoiceRegistry(settings.data_dir / "engine" / "voices", self._context, limits)
        # VOICEBOT_ENGINE_UTILIZATION: the share of the workers that admitted streams may take
        # together (see Admission); 0 turns admission control off.
        self._admission = Admission(settings.engine_utilization or 1.0, self.tuning.first_budget_s)
        self._cache = PhraseCache(settings.phrase_cache_mb * 1024 * 1024, self.tuning.cache_max_chars)
        self._watcher = ModelsWatcher(settings.models_dir)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loads: dict[tuple[int, str, str], asyncio.Future[None]] = {}
        self._reload_lock = asyncio.Lock()
        self._accepting = False
        self._closing = False
        self._ping_seq = 0
        self._outbox = Outbox()
        self._idle = asyncio.Event()

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Validate the voice files, start the workers and wait until every one is ready."""
        self._device = _resolve_device(self.settings.device)
        await asyncio.to_thread(self._registry.add_builtin)
        for name, path in sorted(self._watcher.scan().items()):
            with contextlib.suppress(VoiceRejected):  # logged; the file stays inactive
                self._registry.commit(await self._registry.prepare(name, path))
            self._watcher.mark_known(name, path)
        count = self._worker_count()
        self._workers = [self._new_worker(index) for index in range(count)]
        await asyncio.gather(*(self._start_worker(worker) for worker in self._workers))
        self._accepting = True
        self._spawn(self._supervise())
        self._spawn(self._watch())
        infos = self._registry.infos()
        _log.info(
            "engine ready: %d %s worker(s), voices: %s", count, self._device, ", ".join(i.name for i in infos)
        )
        if all(info.name == OPENJTALK for info in infos):
            _log.warning(
                "no neural voice in %s: only the Open JTalk voice speaks; put a voice file there or upload "
                "one with /model upload (`voicebot say --list` shows the voices on disk)",
                self._watcher.directory,
            )

    async def close(self) -> None:
        """Ordered shutdown: stop accepting, let work finish within the grace period, cancel the
        rest, stop the workers."""
        if self._closing:
            return
        self._accepting = False
        self._closing = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._idle.clear()
        self._check_idle()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), self.tuning.grace_period)
        reason = SynthesisFailed("the bot is shutting down; the message was not read")
        while self._queue:
            self._queue.pop().finish(reason)
        for worker in self._workers:
            for request in worker.in_flight.values():
                self._outbox.send(worker, Cancel(request.id))
                request.finish(reason)
        self._outbox.flush()
        await asyncio.gather(*(worker.stop(self.tuning.grace_period) for worker in self._workers))
        _log.info("engine stopped")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _check_idle(self) -> None:
        if not self._queue and not any(worker.in_flight for worker in self._workers):
            self._idle.set()

    # --- voices ---------------------------------------------------------------------------

    def voices(self) -> list[VoiceInfo]:
        """The voices requests can use now, the built-in Open JTalk voice included, by name."""
        return self._registry.infos()

    async def _activate(self, active: ActiveVoice) -> None:
        """Load ``active`` in every worker, then make it current for the whole engine at once.

        Raises:
            VoiceRejected: a worker could not load it; the previous version stays current.
        """
        name, version = active.spec.name, active.spec.version
        current = self._registry.get(name)
        if current is not None and current.spec.version == version:
            return
        # One worker at a time, taking no requests meanwhile: loading (and compiling) can take
        # a while, and the other workers keep serving with the current version.
        for worker in [w for w in self._workers if not w.gone]:
            try:
                await self._load_in(worker, active)
            except (VoiceRejected, TimeoutError) as exc:
                self._drop(name, version)
                self._registry.prune_staging()
                reason = str(exc) or f"no answer within {self.tuning.start_timeout:.0f} s"
                raise VoiceRejected(f"a worker could not load voice {name!r}: {reason}") from None
        previous = self._registry.commit(active)
        for worker in self._workers:
            if worker.ready:  # a worker that replaced a dead one meanwhile lacks the new version
                self._sync_voices(worker)
        self._cache.discard_voice(name)
        if previous is not None:
            self._drop(name, previous.spec.version)
        _log.info("voice %r is now version %s", name, version)

    async def _load_in(self, worker: Worker, active: ActiveVoice) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._loads[(worker.index, active.spec.name, active.spec.version)] = future
        worker.loading += 1
        try:
            self._outbox.send(worker, LoadVoice(active.spec))
            await asyncio.wait_for(future, self.tuning.start_timeout)
        finally:
            worker.loading -= 1
            self._loads.pop((worker.index, active.spec.name, active.spec.version), None)
            self._pump()

    def _sync_voices(self, worker: Worker) -> None:
        """Have ``worker`` load every current voice version it does not hold."""
        for spec in self._registry.specs():
            if (spec.name, spec.version) not in worker.loaded:
                self._outbox.send(worker, LoadVoice(spec))

    def _drop(self, name: str, version: str) -> None:
        for worker in self._workers:
            worker.loaded.discard((name, version))
            self._outbox.send(worker, DropVoice(name, version))

    def _deactivate(self, name: str) -> None:
        previous = self._registry.discard(name)
        if previous is not None:
            self._cache.discard_voice(name)
            self._drop(name, previous.spec.version)
            _log.info("voice %r removed", name)

    async def install(self, path: Path, name: str | None = None) -> VoiceInfo:
        """Validate an uploaded voice file, copy it into the models directory and activate it.

        Args:
            path: the uploaded file; only ``.safetensors`` files are accepted.
            name: the voice name (default: the file stem); must be a safe file name.

        Raises:
            VoiceRejected: wrong type or name, or the file failed validation (nothing changes).
        """
        path = Path(path)
        if not path.name.endswith(VOICE_SUFFIX):
            raise VoiceRejected(
                f"{path.name!r} is not a voice file: upload a {VOICE_SUFFIX} file "
                "(convert checkpoints with `voicebot export`)"
            )
        try:
            name = validate_voice_name(name if name is not None else path.name.removesuffix(VOICE_SUFFIX))
        except VoiceFileError as exc:
            raise VoiceRejected(str(exc)) from None
        async with self._reload_lock:
            active = await self._registry.prepare(name, path)
            assert active.spec.path is not None  # prepared voices are files
            target = await asyncio.to_thread(
                publish, active.spec.path, self.settings.models_dir, f"{name}{VOICE_SUFFIX}"
            )
            self._watcher.mark_known(name, target)
            await self._activate(active)
        return active.info

    async def remove(self, name: str) -> None:
        """Stop offering voice ``name`` and delete its file from the models directory.

        Raises:
            UnknownVoice: no such voice.
            VoiceRejected: ``name`` is the built-in voice, which cannot be removed.
        """
        if name == OPENJTALK:
            raise VoiceRejected("the built-in Open JTalk voice cannot be removed")
        async with self._reload_lock:
            self._registry.resolve(name, self.settings.default_voice)
            (self.settings.models_dir / f"{name}{VOICE_SUFFIX}").unlink(missing_ok=True)
            self._watcher.mark_known(name, None)
            self._deactivate(name)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.tuning.poll_interval)
            for change in await asyncio.to_thread(self._watcher.poll):
                async with self._reload_lock:
                    if change.kind == "removed":
                        self._deactivate(change.name)
                        continue
                    if change.kind == "refused":
                        serving = self._registry.get(change.name) is not None
                        what = f"keeping the previous {change.name!r}" if serving else "not a voice"
                        _log.warning("%s: %s", what, change.reason)
                        continue
                    _log.info("voice file %s %s: validating", change.path, change.kind)
                    try:
                        await self._activate(await self._registry.prepare(change.name, change.path))
                    except VoiceRejected as exc:
                        _log.warning("keeping the previous %r: %s", change.name, exc)

    # --- workers --------------------------------------------------------------------------

    def _worker_count(self) -> int:
        """One GPU worker (it batches), one for the whole cluster, or the configured number of
        CPU workers."""
        return 1 if self._device == "cuda" or self.settings.engine == "ray" else self.settings.workers

    def _new_worker(self, index: int, restarts: int = 0, crash_streak: int = 0) -> Worker:
        batching = self._device == "cuda" or self.tuning.batch_on_cpu
        config = WorkerConfig(
            index=index,
            device=self._device,
            torch_threads=self.settings.threads_per_worker(self._worker_count()),
            compile=self.settings.compile,
            compile_cache_dir=self.settings.data_dir / "torch-compile",
            voices=self._registry.specs(),
            max_batch=self.tuning.max_batch if batching else 1,
            precision=self.settings.precision,
        )
        if self.settings.engine == "ray":
            from voicebot.engine.cluster import ClusterWorker

            kind: Callable[..., Worker] = functools.partial(ClusterWorker, self.settings)
        else:
            kind = functools.partial(WorkerHandle, self._context)
        return kind(config, self.tuning.max_active, self._on_message, self._on_exit, restarts, crash_streak)

    async def _start_worker(self, worker: Worker, delay: float = 0.0) -> None:
        """Start ``worker`` (after ``delay`` seconds); kill it if it is not ready in time."""
        await asyncio.sleep(delay)
        if self._closing:
            return
        await worker.start()
        try:
            await asyncio.wait_for(worker.ready_event.wait(), self.tuning.start_timeout)
        except TimeoutError:
            _log.error(
                "worker %d did not start within %.0f s: killing it", worker.index, self.tuning.start_timeout
            )
            worker.kill()

    def _on_exit(self, worker: Worker) -> None:
        if worker.exited:
            return
        worker.exited = True
        worker.ready_event.set()  # wakes a start() still waiting for this worker
        expected = worker.gone
        worker.reap()
        if expected:
            return
        _log.error(
            "worker %d (pid %s) died (exit code %s) with %d request(s) in flight: replacing it",
            worker.index,
            worker.pid,
            worker.exitcode,
            len(worker.in_flight),
        )
        for key, future in list(self._loads.items()):
            if key[0] == worker.index and not future.done():
                future.set_exception(VoiceRejected("a worker died while loading the voice"))
                del self._loads[key]
        requests = list(worker.in_flight.values())
        worker.in_flight.clear()
        for request in requests:
            self._retry_or_fail(request)
        if not self._closing and worker in self._workers:
            # Back off only while workers keep dying soon after starting (a crash loop).
            streak = worker.crash_streak + 1 if worker.uptime() < _CRASH_LOOP_S else 0
            replacement = self._new_worker(worker.index, worker.restarts + 1, streak)
            self._workers[worker.index] = replacement
            self._spawn(self._start_worker(replacement, min(30.0, 0.25 * (2**streak - 1))))
        self._pump()
        self._check_idle()

    def _retry_or_fail(self, request: Request) -> None:
        request.worker = None
        if request.finished:
            return
        if request.attempts < _MAX_ATTEMPTS:
            _log.warning(
                "retrying request %d after %d chunk(s) on another worker", request.id, request.delivered
            )
            self._queue.put_front(request.guild, request)
        else:
            request.finish(
                SynthesisFailed(
                    "the voice worker crashed twice while reading this message, so it was skipped; "
                    "if it happens again with the same text, report the text and the voice"
                )
            )

    def _on_message(self, worker: Worker, message: object) -> None:
        if worker.exited:
            return
        if isinstance(message, Chunk):
            request = worker.in_flight.get(message.request_id)
            if request is not None:
                first = request.delivered == 0
                request.push(message.samples, message.sample_rate)
                seconds = message.samples.size / message.sample_rate
                self._admission.observe(request.voice, message.compute_s, seconds, first=first)
        elif isinstance(message, Done | Failed):
            self._on_finished(worker, message)
        elif isinstance(message, Lost):
            request = worker.in_flight.pop(message.request_id, None)
            if request is not None:
                self._retry_or_fail(request)
            self._pump()
        elif isinstance(message, Pong):
            worker.last_pong = time.monotonic()
            if message.stalled_s > self.tuning.stall_timeout:
                _log.error(
                    "worker %d made no progress for %.0f s: killing it", worker.index, message.stalled_s
                )
                worker.kill()
        elif isinstance(message, VoiceLoaded | VoiceLoadFailed):
            self._on_load_result(worker, message)
        elif isinstance(message, Ready):
            worker.ready = True
            worker.last_pong = time.monotonic()
            worker.ready_event.set()
            self._sync_voices(worker)
            computes = f", {message.dtype}" if message.dtype else ""
            _log.info("worker %d ready (pid %d%s)", worker.index, message.pid, computes)
            self._pump()

    def _on_finished(self, worker: Worker, message: Done | Failed) -> None:
        request = worker.in_flight.pop(message.request_id, None)
        if request is not None:
            request.worker = None
            if isinstance(message, Failed):
                _log.warning("request %d failed: %s", request.id, message.reason)
                request.finish(SynthesisFailed(f"could not read the message aloud: {message.reason}"))
            else:
                if request.audio and not request.cancelled:
                    key = PhraseKey(
                        request.voice,
                        request.version,
                        request.speaker,
                        request.speed,
                        request.pitch,
                        request.text,
                    )
                    self._cache.put(key, np.concatenate(request.audio), request.sample_rate)
                request.finish()
        self._pump()
        self._check_idle()

    def _on_load_result(self, worker: Worker, message: VoiceLoaded | VoiceLoadFailed) -> None:
        future = self._loads.pop((worker.index, message.name, message.version), None)
        if isinstance(message, VoiceLoaded):
            worker.loaded.add((message.name, message.version))
            if future is not None and not future.done():
                future.set_result(None)
            self._pump()
            return
        _log.error("worker %d could not load %r: %s", worker.index, message.name, message.reason)
        if future is not None and not future.done():
            future.set_exception(VoiceRejected(message.reason))

    async def _supervise(self) -> None:
        tick = time.monotonic()
        while True:
            await asyncio.sleep(self.tuning.heartbeat_interval)
            now, late = time.monotonic(), time.monotonic() - tick - self.tuning.heartbeat_interval
            tick = now
            if late > self.tuning.heartbeat_timeout / 2:
                # Our own event loop was blocked, so pongs went unread: not the workers' fault.
                _log.warning("the event loop was blocked for %.1f s; the bot stalls meanwhile", late)
                for worker in self._workers:
                    worker.last_pong = now
            for worker in self._workers:
                if not worker.ready or worker.gone:
                    continue
                if now - worker.last_pong > self.tuning.heartbeat_timeout:
                    _log.error(
                        "worker %d missed its heartbeats for %.0f s: killing it",
                        worker.index,
                        now - worker.last_pong,
                    )
                    worker.kill()
                else:
                    self._ping_seq += 1
                    self._outbox.send(worker, Ping(self._ping_seq))

    def default_voice(self) -> VoiceInfo:
        """The voice a request without one speaks with: the ``default_voice`` setting when that
        voice is installed, else Open JTalk."""
        return self._registry.resolve(None, self.settings.default_voice).info

    def queued(self) -> int:
        """Requests waiting for a worker."""
        return len(self._queue)

    def workers(self) -> list[WorkerInfo]:
        """A snapshot of every worker slot: pid, liveness, load, restarts, resident memory."""
        return [
            WorkerInfo(w.index, w.pid, w.ready and not w.gone, len(w.in_flight), w.restarts, w.rss())
            for w in self._workers
        ]

    # --- requests -------------------------------------------------------------------------

    def synthesize(
        self,
        text: str,
        voice: str | None = None,
        speaker: str | None = None,
        speed: float = 1.0,
        *,
        pitch: float = 0.0,
        intonation: float = 1.0,
        guild_id: Hashable | None = None,
        timeout: float | None = None,
    ) -> SynthesisStream:
        """Speak already normalized ``text``; returns an async iterator of :class:`AudioChunk`.

        Args:
            text: normalized text (see :func:`voicebot.text.normalize`).
            voice: a voice name from :meth:`voices`, or None for the default voice (the
                ``default_voice`` setting, else Open JTalk).
            speaker: one of the voice's speakers, or None for its default.
            speed: 1.0 is normal; clamped to [0.5, 2.0].
            pitch: semitones, -12 to 12. intonation: 0 (flat) to 2, 1 as trained. A voice that
                cannot change one of them fails the request when it is not neutral.
            guild_id: requests are queued per guild and guilds are served in turn.
            timeout: seconds from now until the last chunk (default: ``synthesis_timeout``).

        Raises:
            EngineBusy: the queue is full, or the engine is not running (raised at once).
            UnknownVoice: no such voice or speaker.
            InvalidSpeed: ``speed`` is not a positive number.
            InvalidPitch: ``pitch`` or ``intonation`` is out of range (raised at once).
        """
        if not self._accepting:
            raise EngineBusy(
                "the speech engine is not running (starting or shutting down); try again in a moment"
            )
        info = self._registry.resolve(voice, self.settings.default_voice).info
        if speaker is not None and speaker not in info.speakers:
            raise UnknownVoice(
                f"voice {info.name!r} has no speaker {speaker!r}; "
                f"its speakers are: {', '.join(info.speakers)}"
            )
        speed = Voice.clamp_speed(speed)
        control = check_pitch_range(pitch, intonation)
        request = Request(
            text,
            info.name,
            info.version,
            speaker,
            speed,
            control,
            guild_id,
            self.settings.synthesis_timeout if timeout is None else timeout,
            keep_audio=self._cache.accepts(text),
        )
        cached = self._cache.get(PhraseKey(info.name, info.version, speaker, speed, control, text))
        if cached is not None or not text.strip():
            if cached is not None:
                request.push(*cached)
            request.finish()
            return SynthesisStream(request, self._cancel)
        self._admit(request)
        try:
            self._queue.put(guild_id, request)
        except QueueFull:
            raise EngineBusy(
                f"{self._queue.maxsize} messages are already waiting to be read, so this one was skipped; "
                "try again shortly (or raise VOICEBOT_ENGINE_QUEUE / VOICEBOT_WORKERS)"
            ) from None
        stream = SynthesisStream(request, self._cancel)
        self._idle.clear()
        self._pump()
        return stream

    def _admitted(self) -> list[Request]:
        """Requests accepted and not finished: queued or in a worker."""
        running = [r for worker in self._workers for r in worker.in_flight.values()]
        return [r for r in (*self._queue, *running) if not r.finished]

    def _admit(self, request: Request) -> None:
        """Raises: EngineBusy: the streams already promised would stutter with ``request`` beside them."""
        if not self.settings.engine_utilization:
            return
        live = sum(worker.units for worker in self._workers if worker.ready and not worker.gone)
        admitted = self._admitted()
        pairs = ((r.guild, r.voice) for r in admitted)
        owed = ((r.guild, r.voice) for r in admitted if r.delivered == 0)
        if not self._admission.admits(pairs, request.guild, request.voice, live, owed):
            raise EngineBusy(
                f"the voice workers are busy keeping {len(admitted)} messages playing without gaps, "
                "so this one was skipped; try again in a moment (or raise VOICEBOT_WORKERS)"
            )

    def _worker_load(self, worker: Worker) -> float:
        return self._admission.load((r.guild, r.voice) for r in worker.in_flight.values())

    def _pump(self) -> None:
        """Hand queued requests to workers with room, guilds in turn, least-loaded worker first."""
        running: dict[Hashable, int] = {}
        for worker in self._workers:
            for request in worker.in_flight.values():
                running[request.guild] = running.get(request.guild, 0) + 1
        cap = self.tuning.max_active_per_guild
        while self._queue:
            free = [w for w in self._workers if w.free > 0]
            if not free:
                return
            request = self._queue.pop_eligible(lambda guild: running.get(guild, 0) < cap)
            if request is None:
                return
            if request.finished:
                continue
            if request.attempts == 0:
                active = self._registry.get(request.voice)
                if active is None:
                    request.finish(
                        UnknownVoice(f"voice {request.voice!r} was removed before this message was read")
                    )
                    continue
                request.version = active.spec.version
            key = (request.voice, request.version)
            candidates = [w for w in free if key in w.loaded]
            if not candidates:
                if any(key in w.loaded for w in self._workers if not w.gone):
                    self._queue.put_front(request.guild, request)
                    return
                request.finish(
                    SynthesisFailed(
                        f"voice {request.voice!r} ({request.version}) is not loaded; try again shortly"
                    )
                )
                continue
            # Least loaded in worker time, not in count: one long Open JTalk stream costs more
            # than several neural ones.
            worker = min(candidates, key=lambda w: (self._worker_load(w), -w.free))
            request.attempts += 1
            request.worker = worker
            worker.in_flight[request.id] = request
            running[request.guild] = running.get(request.guild, 0) + 1
            self._outbox.post(
                worker,
                Synthesize(
                    request.id,
                    request.text,
                    request.voice,
                    request.version,
                    request.speaker,
                    request.speed,
                    request.pitch,
                    skip=request.delivered,
                    submitted_at=request.submitted_at,
                ),
            )

    def _cancel(self, request: Request) -> None:
        """Stop ``request``: drop it from the queue, or tell its worker to stop at the next chunk."""
        if request.finished and request.worker is None:
            return
        request.cancelled = True
        worker = request.worker
        if worker is None:
            self._queue.remove(request.guild, request)
        elif request.id in worker.in_flight:
            self._outbox.send(worker, Cancel(request.id))
        request.finish()
        self._check_idle()
