"""Float mono chunks at any rate -> 48 kHz stereo -> 20 ms Opus packets (PyAV's bundled libopus).

One encoder serves one utterance at a time: :meth:`OpusStreamEncoder.encode` takes the chunks
as synthesis produces them and returns every complete 20 ms packet, carrying the samples
that do not fill a frame (and the resampler's filter state) over to the next call, so the
chunks of one utterance join without a gap or a click. :meth:`OpusStreamEncoder.flush` ends
the utterance; the encoder is then ready for the next one.
"""

from __future__ import annotations

import av
import numpy as np

from voicebot.audio.errors import AudioError
from voicebot.audio.resample import StreamResampler

__all__ = ["CHANNELS", "FRAME_SAMPLES", "SAMPLE_RATE", "OpusStreamEncoder", "mono_float"]

SAMPLE_RATE = 48_000  # what Discord plays
CHANNELS = 2
FRAME_SAMPLES = 960  # 20 ms per channel at 48 kHz: discord.py's player sends one packet per 20 ms


def mono_float(samples: np.ndarray) -> np.ndarray:
    """``samples`` as float32 mono with NaN and infinities made finite (a fresh array).

    Raises:
        AudioError: ``samples`` is not a 1-D float array.
    """
    samples = np.asarray(samples)
    if samples.ndim != 1 or not np.issubdtype(samples.dtype, np.floating):
        raise AudioError(
            f"expected a 1-D float array of mono samples, got {samples.dtype} of shape {samples.shape}"
        )
    return np.nan_to_num(samples.astype(np.float32), copy=False, nan=0.0, posinf=1.0, neginf=-1.0)


class OpusStreamEncoder:
    """Encode one utterance at a time into Discord-ready Opus packets.

    Args:
        bitrate: bits per second (constant); 96 kbps keeps speech transparent.
        application: libopus mode, ``"audio"`` (best fidelity for a synthetic voice) or
            ``"voip"`` (tuned for intelligibility of live speech).
    """

    def __init__(self, *, bitrate: int = 96_000, application: str = "audio") -> None:
        if application not in ("audio", "voip"):
            raise AudioError(f"unknown Opus application {application!r}: use 'audio' or 'voip'")
        if not 6_000 <= bitrate <= 510_000:
            raise AudioError(f"Opus bitrate {bitrate} is out of range: use 6000 to 510000 bits/s")
        self._bitrate = bitrate
        self._application = application
        self._codec: av.AudioCodecContext | None = None
        self._resampler: StreamResampler | None = None
        self._pending = np.zeros(0, dtype=np.float32)  # 48 kHz mono samples not yet in a frame
        self._pts = 0

    def _open_codec(self) -> av.AudioCodecContext:
        codec = av.CodecContext.create("libopus", "w")
        codec.sample_rate = SAMPLE_RATE
        codec.layout = "stereo"
        codec.format = "flt"
        codec.bit_rate = self._bitrate
        # Constant bitrate: packet sizes do not leak what is said, and at 96 kbps CELT keeps
        # the waveform close (about 24 dB SNR on speech; 64 kbps drifts under 20 dB). No
        # in-band FEC: libopus would then force the SILK/hybrid modes, which keep far less.
        codec.options = {"application": self._application, "frame_duration": "20", "vbr": "off"}
        codec.open()
        return codec

    def _encode_frames(self, samples: np.ndarray) -> list[bytes]:
        """Encode whole frames; ``samples`` is 48 kHz mono of a length divisible by 960."""
        if self._codec is None:
            self._codec = self._open_codec()
        stereo = np.repeat(np.clip(samples, -1.0, 1.0), CHANNELS).reshape(-1, FRAME_SAMPLES * CHANNELS)
        packets: list[bytes] = []
        for row in stereo:
            frame = av.AudioFrame.from_ndarray(row[np.newaxis, :], format="flt", layout="stereo")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = self._pts
            self._pts += FRAME_SAMPLES
            packets.extend(bytes(packet) for packet in self._codec.encode(frame))
        return packets

    def encode(self, samples: np.ndarray, sample_rate: int) -> list[bytes]:
        """Add the next chunk of the utterance and return the packets it completes.

        Args:
            samples: float array of shape (N,), mono, nominally within [-1, 1].
            sample_rate: rate of ``samples`` in Hz (any rate; 24 kHz and 48 kHz are usual).

        Returns: Opus packets of exactly 20 ms of 48 kHz stereo each, in order; the samples
        left over wait for the next call or :meth:`flush`.
        """
        self.feed(samples, sample_rate)
        return self.take()

    def feed(self, samples: np.ndarray, sample_rate: int) -> None:
        """Add the next chunk of the utterance without encoding it yet (see :meth:`take`).

        Raises:
            AudioError: ``samples`` is not a 1-D float array.
        """
        samples = mono_float(samples)
        if self._resampler is None or self._resampler.in_rate != sample_rate:
            if self._resampler is not None:  # rate changed mid-utterance: finish the old rate first
                self._add(self._resampler.flush())
            self._resampler = StreamResampler(sample_rate, SAMPLE_RATE)
        self._add(self._resampler.process(samples))

    def _add(self, samples: np.ndarray) -> None:
        self._pending = np.concatenate([self._pending, samples]) if len(self._pending) else samples

    @property
    def frames_ready(self) -> int:
        """Whole 20 ms frames fed and not yet encoded."""
        return len(self._pending) // FRAME_SAMPLES

    def take(self, frames: int | None = None) -> list[bytes]:
        """Encode up to ``frames`` whole 20 ms frames of what was fed (all of them when None).

        Encoding one frame at a time, as a player needs them, spreads the work over the
        playback instead of spending it when the chunk arrives.
        """
        count = self.frames_ready if frames is None else min(frames, self.frames_ready)
        if not count:
            return []
        whole = count * FRAME_SAMPLES
        samples, self._pending = self._pending[:whole], self._pending[whole:]
        return self._encode_frames(samples)

    def flush(self) -> list[bytes]:
        """End the utterance: pad the last frame with silence and drain the encoder.

        Returns: the remaining 20 ms packets (empty if nothing was encoded since the last
        flush). The encoder then starts the next utterance from a clean state.
        """
        if self._resampler is not None:
            self._add(self._resampler.flush())
        packets = self.take()
        if len(self._pending):
            padded = np.zeros(FRAME_SAMPLES, dtype=np.float32)
            padded[: len(self._pending)] = self._pending
            packets += self._encode_frames(padded)
        if self._codec is not None:
            # libopus holds back its look-ahead (6.5 ms): draining emits one more 20 ms packet.
            packets.extend(bytes(packet) for packet in self._codec.encode(None))
        self._codec = None
        self._resampler = None
        self._pending = np.zeros(0, dtype=np.float32)
        self._pts = 0
        return packets
