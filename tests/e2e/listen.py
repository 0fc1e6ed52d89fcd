"""What a listener in the fake voice channel hears, and what it should hear."""

from __future__ import annotations

import asyncio
import time

import numpy as np

from tests.fake_discord.voice import RtpPacket, VoiceServer
from voicebot.audio import SAMPLE_RATE, LoudnessNormalizer
from voicebot.audio.resample import StreamResampler
from voicebot.text import normalize
from voicebot.voices import OpenJTalkVoice

__all__ = ["SILENCE", "expected_audio", "locate", "utterances"]

SILENCE = b"\xf8\xff\xfe"  # the Opus frame discord.py sends after each utterance


async def utterances(
    voice: VoiceServer, count: int, timeout: float, gap: float = 0.3
) -> list[list[RtpPacket]]:
    """Wait for ``count`` utterances: runs of packets separated by ``gap`` seconds without any.

    Returns:
        The packets of each utterance, in order.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = _runs(voice.packets, gap)
        settled = voice.packets and time.monotonic() - voice.packets[-1].at > gap
        if len(runs) >= count and settled:
            return runs
        await asyncio.sleep(0.05)
    raise AssertionError(
        f"heard {len(_runs(voice.packets, gap))} utterances, expected {count}, in {timeout} s"
    )


def _runs(packets: list[RtpPacket], gap: float) -> list[list[RtpPacket]]:
    runs: list[list[RtpPacket]] = []
    for packet in packets:
        if runs and packet.at - runs[-1][-1].at <= gap:
            runs[-1].append(packet)
        else:
            runs.append([packet])
    return runs


def expected_audio(raw: str) -> np.ndarray:
    """The Open JTalk voice's speech for chat text ``raw`` as the bot prepares it, before Opus.

    Returns:
        float64 array of shape (N,) at 48 kHz.
    """
    voice = OpenJTalkVoice()
    loudness = LoudnessNormalizer()
    resampler = StreamResampler(voice.sample_rate, SAMPLE_RATE)
    pieces = [
        resampler.process(loudness.process(chunk, voice.sample_rate))
        for chunk in voice.stream(normalize(raw))
    ]
    pieces.append(resampler.flush())
    return np.concatenate(pieces).astype(np.float64)


def locate(reference: np.ndarray, audio: np.ndarray, start: int = 0) -> tuple[int, float]:
    """Where ``reference`` best matches ``audio`` at or after sample ``start``, and how well.

    Returns:
        (sample index in ``audio``, SNR in dB of the match there).
    """
    tail = audio[start:]
    size = 1 << int(np.ceil(np.log2(len(tail) + len(reference))))
    corr = np.fft.irfft(np.fft.rfft(tail, size) * np.conj(np.fft.rfft(reference, size)), size)
    lag = int(np.argmax(corr[: max(1, len(tail) - len(reference) // 2)]))
    part = tail[lag : lag + len(reference)]
    ref = reference[: len(part)]
    return start + lag, float(10 * np.log10(np.sum(ref**2) / np.sum((part - ref) ** 2)))
