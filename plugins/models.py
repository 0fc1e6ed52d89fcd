"""``/model upload|list|default|remove``: manage voices (Manage Server or the admin role only)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import discord
from discord import app_commands

from voicebot.bot import PluginContext, Refusal
from voicebot.bot.interactions import member_of, respond, voice_autocomplete, voice_info
from voicebot.engine import UnknownVoice, VoiceRejected

__all__ = ["download", "setup"]

_log = logging.getLogger(__name__)

VOICE_SUFFIX = ".safetensors"
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=300, sock_read=60)
CHUNK_BYTES = 1 << 20
MB = 1024 * 1024  # as the engine counts VOICEBOT_MAX_UPLOAD_MB


async def download(url: str, target: Path, max_bytes: int) -> None:
    """Download ``url`` into ``target``, stopping as soon as it exceeds ``max_bytes``.

    Raises:
        Refusal: the file is larger than ``max_bytes`` or could not be downloaded.
    """
    size = 0
    try:
        async with (
            aiohttp.ClientSession(timeout=DOWNLOAD_TIMEOUT) as http,
            http.get(url, raise_for_status=True) as response,
        ):
            with target.open("wb") as out:
                async for block in response.content.iter_chunked(CHUNK_BYTES):
                    size += len(block)
                    if size > max_bytes:
                        raise Refusal("model_too_large", size=_mb(size), limit=_mb(max_bytes))
                    out.write(block)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        _log.warning("voice upload download failed: %r", exc)
        raise Refusal("model_download_failed") from exc


def _mb(size: int) -> str:
    return f"{size / MB:.1f}"


def setup(ctx: PluginContext) -> None:
    """Declare the ``/model`` group."""
    services = ctx.services
    group = app_commands.Group(
        name="model", description="声の管理(管理者) / Manage voices (admins)", guild_only=True
    )

    complete_voice = voice_autocomplete(services.engine)

    @group.command(name="upload", description="声ファイルを追加します / Install a voice file")
    @app_commands.describe(file="声ファイル (.safetensors)", name="声の名前(省略: ファイル名)")
    async def upload(
        interaction: discord.Interaction[Any], file: discord.Attachment, name: str | None = None
    ) -> None:
        services.require_admin(member_of(interaction))
        if not file.filename.endswith(VOICE_SUFFIX):
            raise Refusal("model_wrong_type")
        max_bytes = services.settings.max_upload_mb * MB
        if file.size > max_bytes:
            raise Refusal("model_too_large", size=_mb(file.size), limit=_mb(max_bytes))
        await interaction.response.defer(ephemeral=True, thinking=True)
        uploads = services.settings.data_dir / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=uploads) as tmp:
            path = Path(tmp) / Path(file.filename).name
            await download(file.url, path, max_bytes)
            try:
                info = await services.engine.install(path, name)
            except VoiceRejected as exc:
                raise Refusal("model_rejected", reason=str(exc)) from None
        _log.info("voice %s installed by user %s", info.name, interaction.user.id)
        await respond(interaction, "model_installed", name=info.name, speakers=", ".join(info.speakers))

    @group.command(name="list", description="インストール済みの声 / Installed voices")
    async def list_(interaction: discord.Interaction[Any]) -> None:
        services.require_admin(member_of(interaction))
        lines = [f"- {v.name}: {v.display_name} ({', '.join(v.speakers)})" for v in services.engine.voices()]
        await respond(interaction, "model_list", voices="\n".join(lines))

    @group.command(name="default", description="このサーバーの既定の声 / Server default voice")
    @app_commands.autocomplete(name=complete_voice)
    async def default(interaction: discord.Interaction[Any], name: str) -> None:
        member = member_of(interaction)
        services.require_admin(member)
        info = voice_info(services.engine, name)
        await services.db.update_guild_settings(member.guild.id, default_voice=info.name)
        await respond(interaction, "model_default_set", name=info.name)

    @group.command(name="remove", description="声を削除します / Remove a voice")
    @app_commands.autocomplete(name=complete_voice)
    async def remove(interaction: discord.Interaction[Any], name: str) -> None:
        services.require_admin(member_of(interaction))
        try:
            await services.engine.remove(name)
        except UnknownVoice:
            raise Refusal("unknown_voice", name=name) from None
        except VoiceRejected as exc:
            raise Refusal("model_rejected", reason=str(exc)) from None
        await respond(interaction, "model_removed", name=name)

    ctx.add_command(group)
