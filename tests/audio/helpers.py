"""Signals and an Opus decoder shared by the audio tests."""

from __future__ import annotations

import av
import numpy as np

__all__ = ["aligned_snr", "decode", "packet_ms", "sweep", "uneven_chunks"]


def sweep(
    sample_rate: int, seconds: float = 1.5, amplitude: float = 0.5, top_hz: float = 9000.0
) -> np.ndarray:
    """A linear sine sweep from 100 Hz to ``top_hz`` sampled at ``sample_rate``; shape (N,), float32."""
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    phase = 2 * np.pi * (100 * t + (top_hz - 100) * t**2 / (2 * seconds))
    return (amplitude * np.sin(phase)).astype(np.float32)


def decode(packets: list[bytes]) -> np.ndarray:
    """Decode Opus packets with PyAV's libopus; returns the left channel, float64 of shape (N,)."""
    decoder = av.CodecContext.create("libopus", "r")
    decoder.sample_rate = 48_000
    decoder.layout = "stereo"
    pieces = []
    for packet in packets:
        for frame in decoder.decode(av.Packet(packet)):
            pcm = frame.to_ndarray()
            pcm = pcm[0] if frame.format.is_planar else pcm.reshape(-1, 2)[:, 0]
            pieces.append(pcm.astype(np.float64) / (32768.0 if pcm.dtype == np.int16 else 1.0))
    return np.concatenate(pieces)


def aligned_snr(reference: np.ndarray, decoded: np.ndarray, max_lag: int = 2000) -> float:
    """SNR (dB) of ``decoded`` against ``reference`` after removing the codec's delay."""
    size = 2 * len(decoded)
    corr = np.fft.irfft(np.fft.rfft(decoded, size) * np.conj(np.fft.rfft(reference, size)), size)
    lag = int(np.argmax(corr[:max_lag]))
    part = decoded[lag : lag + len(reference)]
    ref = reference[: len(part)]
    return float(10 * np.log10(np.sum(ref**2) / np.sum((part - ref) ** 2)))


def uneven_chunks(samples: np.ndarray, seed: int = 0, largest: int = 5000) -> list[np.ndarray]:
    """Split ``samples`` into pieces of random sizes from 1 to ``largest`` samples."""
    rng = np.random.default_rng(seed)
    cuts = np.cumsum(rng.integers(1, largest, size=len(samples)))
    return np.split(samples, cuts[cuts < len(samples)])


def packet_ms(packet: bytes) -> float:
    """Duration of an Opus packet from its TOC byte (RFC 6716 section 3.1), in ms."""
    config, code = packet[0] >> 3, packet[0] & 3
    if config < 12:
        per_frame = (10.0, 20.0, 40.0, 60.0)[config % 4]
    elif config < 16:
        per_frame = (10.0, 20.0)[config % 2]
    else:
        per_frame = (2.5, 5.0, 10.0, 20.0)[config % 4]
    frames = {0: 1, 1: 2, 2: 2}.get(code, packet[1] & 0x3F if len(packet) > 1 else 0)
    return per_frame * frames
