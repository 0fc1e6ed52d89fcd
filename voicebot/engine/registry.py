"""The voices the engine serves, and how a voice file becomes one of them.

A file is staged (an immutable copy named by its content hash), judged by the validator
process, and only then offered as an :class:`ActiveVoice`. The built-in Open JTalk voice is
always there. Workers are not this module's concern: the engine loads a prepared voice in
every worker before it :meth:`~VoiceRegistry.commit` s it here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voicebot.engine.errors import UnknownVoice, VoiceRejected
from voicebot.engine.protocol import VoiceSpec
from voicebot.engine.staging import stage
from voicebot.engine.validate import ValidatorLimits, validate_voice
from voicebot.engine.values import VoiceInfo
from voicebot.voices import VoiceFileError

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

__all__ = ["OPENJTALK", "ActiveVoice", "VoiceRegistry"]

_log = logging.getLogger(__name__)

OPENJTALK = "openjtalk"


@dataclass(frozen=True)
class ActiveVoice:
    """A voice as the engine offers it (``info``) and as workers load it (``spec``)."""

    info: VoiceInfo
    spec: VoiceSpec


class VoiceRegistry:
    """Voices by name, one current version each.

    Args:
        staging_dir: where staged copies live; files there that no voice uses are deleted.
        context: multiprocessing context for the validator process.
        limits: what a voice file may cost the validator.
    """

    def __init__(self, staging_dir: Path, context: BaseContext, limits: ValidatorLimits) -> None:
        self._staging = staging_dir
        self._context = context
        self._limits = limits
        self._voices: dict[str, ActiveVoice] = {}

    def add_builtin(self) -> None:
        """Offer the Open JTalk voice (loads pyopenjtalk: call it off the event loop)."""
        from voicebot.voices import OpenJTalkVoice

        voice = OpenJTalkVoice()
        info = VoiceInfo(
            OPENJTALK,
            voice.display_name,
            tuple(voice.speakers),
            voice.sample_rate,
            "builtin",
            tuple(sorted(voice.controls)),
        )
        self._voices[OPENJTALK] = ActiveVoice(info, VoiceSpec(OPENJTALK, "builtin", None))

    def get(self, name: str) -> ActiveVoice | None:
        """The current version of ``name``, or None."""
        return self._voices.get(name)

    def resolve(self, name: str | None, default: str) -> ActiveVoice:
        """``name``'s voice; for None the ``default`` voice, else Open JTalk.

        Raises:
            UnknownVoice: no voice has that name; the message lists the ones there are.
        """
        if name is None:
            return self._voices.get(default) or self._voices[OPENJTALK]
        active = self._voices.get(name)
        if active is None:
            raise UnknownVoice(
                f"there is no voice {name!r}; available voices: {', '.join(sorted(self._voices))}"
            )
        return active

    def infos(self) -> list[VoiceInfo]:
        """Every voice, by name."""
        return [self._voices[name].info for name in sorted(self._voices)]

    def specs(self) -> tuple[VoiceSpec, ...]:
        """What a new worker loads: the current version of every voice."""
        return tuple(active.spec for active in self._voices.values())

    async def prepare(self, name: str, source: Path) -> ActiveVoice:
        """Stage ``source`` and validate the copy in the validator process.

        Raises:
            VoiceRejected: unreadable, or failed validation (logged too); nothing changes.
        """
        try:
            staged, version = await asyncio.to_thread(
                stage, source, self._staging, name, self._limits.max_bytes
            )
        except VoiceFileError as exc:
            _log.warning("voice %r (%s) rejected: %s", name, source, exc)
            raise VoiceRejected(str(exc)) from None
        except OSError as exc:
            raise VoiceRejected(f"cannot read {source}: {exc.strerror or exc}") from None
        try:
            info = await validate_voice(self._context, staged, name, self._limits)
        except VoiceRejected as exc:
            _log.warning("voice %r (%s) rejected: %s", name, source, exc)
            self.prune_staging()
            raise
        info = dataclasses.replace(info, version=version)
        return ActiveVoice(info, VoiceSpec(name, version, staged))

    def commit(self, active: ActiveVoice) -> ActiveVoice | None:
        """Make ``active`` the current version of its name; returns the version it replaced."""
        previous = self._voices.get(active.spec.name)
        self._voices[active.spec.name] = active
        self.prune_staging()
        return previous

    def discard(self, name: str) -> ActiveVoice | None:
        """Stop offering ``name``; returns what it was, or None."""
        previous = self._voices.pop(name, None)
        self.prune_staging()
        return previous

    def prune_staging(self) -> None:
        """Delete staged copies that no current voice uses."""
        keep = {active.spec.path for active in self._voices.values()}
        for path in self._staging.glob("*.safetensors") if self._staging.is_dir() else ():
            if path not in keep:
                path.unlink(missing_ok=True)
