"""voicebot: a self-hosted Discord read-aloud bot with its own fast neural Japanese voice.

Package map (one folder per concern):

- ``voicebot.text``     chat text -> normalized Japanese -> phoneme symbols (frontend)
- ``voicebot.model``    the MS-iSTFT-ET2 neural voice model (inference side)
- ``voicebot.voices``   voice files (safetensors) and the voices that speak: neural and Open JTalk
- ``voicebot.training`` data preparation, training loop, export (never imported at inference)
- ``voicebot.engine``   asyncio TTS engine over a pool of worker processes
- ``voicebot.audio``    resampling, loudness, Opus framing for Discord
- ``voicebot.bot``      the Discord bot core, plugin registry, voice sessions, storage
- ``voicebot.cli``      the ``voicebot`` command
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
