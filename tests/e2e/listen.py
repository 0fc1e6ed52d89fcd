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

__all__ = ["expected_audio", "utterances"]


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
