"""The worker process: loads voices, synthesizes requests one chunk at a time, streams them back.

A receiver thread reads the pipe: it answers heartbeats at once (reporting how long the
current request has made no progress, so a hung synthesis is visible), marks cancelled
requests, and queues everything else for the main thread, which handles messages in order.
Voices are held per (name, version): a new version loads next to the old one, requests name
the version they run on, and a dropped version lives on until its last request finishes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from voicebot.engine.batching import BatchJob, next_batch, synthesize_batch
from voicebot.engine.deadlines import Playback, earliest
from voicebot.engine.protocol import (
    Cancel,
    Chunk,
    Done,
    DropVoice,
    Failed,
    LoadVoice,
    Ping,
    Pong,
    Ready,
    Stop,
    Synthesize,
    VoiceLoaded,
    VoiceLoadFailed,
    VoiceSpec,
    WorkerConfig,
)
from voicebot.engine.runtime import (
    configure_torch,
    cpu_has_native_bfloat16,
    inference,
    resolve_precision,
    seed_everything,
)
from voicebot.text import warm_up
from voicebot.voices import NeuralVoice, OpenJTalkVoice, Voice

__all__ = ["BURST_WAIT_S", "WORKER_NICENESS", "load_voice", "worker_main"]

_log = logging.getLogger(__name__)

WORKER_NICENESS = 10
"""How much nicer than the bot a worker process runs (see :func:`worker_main`)."""

BURST_WAIT_S = 0.005
"""How long a worker waits for the rest of a burst (:attr:`Synthesize.more`) before advancing
what it has. The engine sends a burst back to back, so it arrives within microseconds and then
starts in one batch (see :meth:`voicebot.voices.NeuralVoice.stream`); the limit only keeps a
lost message from holding the others up."""


def load_voice(spec: VoiceSpec, device: str = "cpu", compile: bool = False) -> Voice:
    """Load the voice ``spec`` names: Open JTalk when ``spec.path`` is None, else a voice file."""
    if spec.path is None:
        return OpenJTalkVoice()
    return NeuralVoice.load(spec.path, device=device, compile=compile)


def worker_main(conn: Connection, config: WorkerConfig) -> None:
    """Entry point of a worker process (started with the ``forkserver`` or ``spawn`` method)."""
    dtype = resolve_precision(config.precision, config.device)
    configure_torch(config.torch_threads, config.compile_cache_dir, dtype)
    # Below the bot process, which must win the CPU whenever it has something to do: its
    # gateway, the Opus encoding and the 20 ms packet clock of every voice channel. Measured
    # with `voicebot bench e2e --servers 16` (2 cores, two runs each): first packet p95
    # 277 and 290 ms at equal priority, 248 and 261 ms with the workers at nice 5; later, on
    # another day's load, 279 and 285 ms at nice 5, 262 and 276 at nice 10, 263 and 257 at 19.
    os.nice(WORKER_NICENESS)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the engine went away: exit
        _Worker(conn, config, dtype).serve()


@dataclass
class _Active:
    """A request in flight in the streaming worker."""

    request: Synthesize
    voice: Voice
    chunks: Iterator[np.ndarray]
    playback: Playback


class _Worker:
    def __init__(self, conn: Connection, config: WorkerConfig, dtype: str) -> None:
        self._conn = conn
        self._config = config
        self._send_lock = threading.Lock()
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._state_lock = threading.Lock()
        self._received: set[int] = set()
        self._cancelled: set[int] = set()
        self._progress_at: float | None = None
        self._voices: dict[tuple[str, str], Voice] = {}
        self._dtype = dtype
        # Only a chosen bfloat16 can be emulated: auto picks it where the CPU has the instructions.
        if config.precision == "bfloat16" and config.device == "cpu" and not cpu_has_native_bfloat16():
            _log.warning(
                "VOICEBOT_PRECISION=bfloat16, but this CPU has no bfloat16 instructions (AVX512-BF16 "
                "or AMX): speech is computed in emulated bfloat16, slower than float32; set "
                "VOICEBOT_PRECISION=auto"
            )

    # --- pipe ------------------------------------------------------------------------------

    def _send(self, message: object) -> None:
        with self._send_lock:
            self._conn.send(message)

    def _receive_loop(self) -> None:
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):  # the engine went away: stop
                self._inbox.put(Stop())
                return
            if isinstance(message, Ping):
                progress_at = self._progress_at
                stalled = 0.0 if progress_at is None else time.monotonic() - progress_at
                try:
                    self._send(Pong(message.seq, stalled))
                except OSError:  # the engine went away: stop
                    self._inbox.put(Stop())
                    return
            elif isinstance(message, Cancel):
                with self._state_lock:
                    if message.request_id in self._received:
                        self._cancelled.add(message.request_id)
            else:
                if isinstance(message, Synthesize):
                    with self._state_lock:
                        self._received.add(message.request_id)
                self._inbox.put(message)
                if isinstance(message, Stop):
                    return

    def _is_cancelled(self, request_id: int) -> bool:
        with self._state_lock:
            return request_id in self._cancelled

    def _finish(self, request_id: int, message: object) -> None:
        with self._state_lock:
            self._received.discard(request_id)
            self._cancelled.discard(request_id)
        self._send(message)

    # --- voices ----------------------------------------------------------------------------

    def _load(self, spec: VoiceSpec) -> None:
        config = self._config
        try:
            voice = load_voice(spec, config.device, config.compile)
            if config.compile and isinstance(voice, NeuralVoice):
                with inference(config.device, self._dtype):
                    voice.model.warm_up()  # compiles every variant now, not on the first request
        except Exception as exc:  # any failure to load is reported, the worker keeps serving
            self._send(VoiceLoadFailed(spec.name, spec.version, f"{type(exc).__name__}: {exc}"))
            return
        self._voices[(spec.name, spec.version)] = voice
        self._send(VoiceLoaded(spec.name, spec.version))

    def _voice_for(self, request: Synthesize) -> Voice | None:
        voice = self._voices.get((request.voice, request.version))
        if voice is None:
            self._finish(
                request.request_id,
                Failed(request.request_id, f"voice {request.voice!r} ({request.version}) is not loaded"),
            )
        return voice

    # --- serving ---------------------------------------------------------------------------

    def serve(self) -> None:
        threading.Thread(target=self._receive_loop, name="engine-receiver", daemon=True).start()
        warm_up()  # on the thread that synthesizes
        for spec in self._config.voices:
            self._load(spec)
        self._send(Ready(os.getpid(), self._dtype))
        if self._config.max_batch > 1:
            self._serve_batched()
        else:
            self._serve_streaming()

    def _handle_control(self, message: object) -> bool:
        """Handle a non-request message; return False on Stop."""
        if isinstance(message, Stop):
            return False
        if isinstance(message, LoadVoice):
            self._load(message.spec)
        elif isinstance(message, DropVoice):
            self._voices.pop((message.name, message.version), None)
        return True

    def _serve_streaming(self) -> None:
        """Keep every request received in flight and advance the one whose chunk is due first."""
        active: dict[int, _Active] = {}
        burst_until: float | None = None  # while the rest of a burst is on its way
        while True:
            try:
                if not active:
                    message = self._inbox.get()
                elif burst_until is not None and (left := burst_until - time.monotonic()) > 0:
                    message = self._inbox.get(timeout=left)
                else:
                    message = self._inbox.get_nowait()
            except queue.Empty:
                message = None
            if message is not None:  # take in everything waiting first: a new request is due now
                if isinstance(message, Synthesize):
                    self._begin(message, active)
                    burst_until = time.monotonic() + BURST_WAIT_S if message.more else None
                elif not self._handle_control(message):
                    return
                continue
            burst_until = None
            for rid in [rid for rid in active if self._is_cancelled(rid)]:
                del active[rid]
                self._finish(rid, Done(rid))
            rid = earliest((rid, item.playback) for rid, item in active.items())
            if rid is not None:
                self._advance(active, rid)

    def _begin(self, request: Synthesize, active: dict[int, _Active]) -> None:
        voice = self._voice_for(request)
        if voice is None:
            return
        try:
            chunks = voice.stream(
                request.text,
                speaker=request.speaker,
                speed=request.speed,
                pitch=request.pitch.semitones,
                intonation=request.pitch.intonation,
            )
        except Exception as exc:  # a bad argument fails this request only
            self._finish(request.request_id, Failed(request.request_id, f"{type(exc).__name__}: {exc}"))
            return
        active[request.request_id] = _Active(
            request, voice, chunks, Playback(request.submitted_at, skip=request.skip)
        )

    def _advance(self, active: dict[int, _Active], rid: int) -> None:
        """Compute the next chunk of request ``rid`` and send it (unless an earlier attempt did)."""
        item = active[rid]
        started = self._progress_at = time.monotonic()
        try:
            with inference(self._config.device, self._dtype):
                samples = next(item.chunks, None)
        except Exception as exc:  # a voice error fails this request only
            _log.exception("request %d failed", rid)
            del active[rid]
            self._finish(rid, Failed(rid, f"{type(exc).__name__}: {exc}"))
            return
        finally:
            self._progress_at = None
        if samples is None:
            del active[rid]
            self._finish(rid, Done(rid))
            return
        now = time.monotonic()
        rate = item.voice.sample_rate
        send = item.playback.produced >= item.request.skip
        item.playback.produced_chunk(samples.size / rate, now)
        if send:
            self._send(Chunk(rid, np.ascontiguousarray(samples, dtype=np.float32), rate, now - started))

    def _serve_batched(self) -> None:
        from voicebot.text import split_sentences

        jobs: list[BatchJob] = []
        while True:
            try:
                message = self._inbox.get(block=not jobs)
            except queue.Empty:
                message = None
            if isinstance(message, Synthesize):
                if self._voice_for(message) is not None:
                    sentences = [s for s in split_sentences(message.text) if s.strip()] or [message.text]
                    key = (message.voice, message.version)
                    jobs.append(
                        BatchJob(
                            message.request_id,
                            key,
                            sentences,
                            message.speaker,
                            message.speed,
                            message.pitch,
                            skip=message.skip,
                            playback=Playback(message.submitted_at, skip=message.skip),
                        )
                    )
                continue
            if message is not None:
                if not self._handle_control(message):
                    return
                continue
            for job in [j for j in jobs if self._is_cancelled(j.request_id)]:
                jobs.remove(job)
                self._finish(job.request_id, Done(job.request_id))
            self._step(jobs)

    def _step(self, jobs: list[BatchJob]) -> None:
        batch = next_batch(jobs, self._config.max_batch)
        if not batch:
            return
        voice = self._voices.get(batch[0].voice_key)
        started = self._progress_at = time.monotonic()
        try:
            if voice is None:
                raise RuntimeError(f"voice {batch[0].voice_key[0]!r} is no longer loaded")
            seed_everything()
            with inference(self._config.device, self._dtype):
                outputs = synthesize_batch(voice, [job.next_item() for job in batch])
        except Exception as exc:  # the whole batch fails; other voices' jobs go on
            for job in batch:
                jobs.remove(job)
                self._finish(job.request_id, Failed(job.request_id, f"{type(exc).__name__}: {exc}"))
            return
        finally:
            self._progress_at = None
        now = time.monotonic()
        share = (now - started) / len(batch)  # each item's part of the step, for admission
        for job, samples in zip(batch, outputs, strict=True):
            job.sentences.pop(0)
            job.playback.produced_chunk(samples.size / voice.sample_rate, now)
            if job.sent >= job.skip:
                self._send(Chunk(job.request_id, samples, voice.sample_rate, share))
            job.sent += 1
            if job.finished:
                jobs.remove(job)
                self._finish(job.request_id, Done(job.request_id))
