"""Join and leave announcements: 「○○さんが参加しました」「○○さんが退出しました」.

Switched per server with ``/settings announce_joins on|off`` (off by default). Only members
entering or leaving the voice channel the bot is in are announced, bots never. Events of
one server are gathered for a moment and said together: up to three names are read, a larger
burst (a raid, the end of a meeting) becomes 「5人が参加しました」 instead of a queue of names.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Literal

import discord

from voicebot.bot import PluginContext, PluginSettings, Refusal

__all__ = ["AnnounceSettings", "announcement", "setup"]

_log = logging.getLogger(__name__)

Kind = Literal["join", "leave"]
_NAMED = 3  # a burst larger than this is counted, not named


class AnnounceSettings(PluginSettings):
    """``VOICEBOT_ANNOUNCE_*``: how long events are gathered before they are said."""

    window_seconds: float = 1.0


@dataclass
class _Burst:
    joined: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)


def announcement(names: list[str], kind: Kind, suffix: str) -> str:
    """「Aさん、Bさんが参加しました」, or 「5人が退出しました」 for a burst of more than three."""
    verb = "参加しました" if kind == "join" else "退出しました"
    if len(names) > _NAMED:
        return f"{len(names)}人が{verb}"
    return "、".join(f"{name}{suffix}" for name in names) + f"が{verb}"


def setup(ctx: PluginContext) -> None:
    """Listen to voice state changes and announce joins and leaves when switched on."""
    services = ctx.services
    settings = ctx.settings(AnnounceSettings)
    bursts: dict[int, _Burst] = {}
    flushing: set[asyncio.Task[None]] = set()

    async def flush(guild: discord.Guild) -> None:
        await asyncio.sleep(settings.window_seconds)
        burst = bursts.pop(guild.id, None)
        session = services.sessions.get(guild.id)
        if burst is None or session is None:
            return
        options = await services.db.get_guild_settings(guild.id)
        suffix = options.name_suffix or "さん"
        for names, kind in ((burst.joined, "join"), (burst.left, "leave")):
            if not names:
                continue
            try:
                text = announcement(names, kind, suffix)  # type: ignore[arg-type]
                session.enqueue(await services.prepare(guild, guild.me.id, text))
            except Refusal as refusal:  # a full queue: chat comes first
                _log.debug("guild %s: announcement not queued: %s", guild.id, refusal.key)

    async def on_voice_state_update(
        member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.bot:
            return
        here = services.sessions.channel_id(member.guild.id)
        if here is None or before.channel == after.channel:
            return
        entered = after.channel is not None and after.channel.id == here
        left = before.channel is not None and before.channel.id == here
        if not (entered or left):
            return
        if not (await services.db.get_guild_settings(member.guild.id)).read_joins:
            return
        burst = bursts.get(member.guild.id)
        if burst is None:
            burst = bursts[member.guild.id] = _Burst()
            task = asyncio.get_running_loop().create_task(flush(member.guild))
            flushing.add(task)
            task.add_done_callback(flushing.discard)
        (burst.joined if entered else burst.left).append(await services.spoken_name(member))

    ctx.add_listener("voice_state_update", on_voice_state_update)
