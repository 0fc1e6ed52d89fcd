"""``/settings``: every server setting of the reader in one view, and a subcommand to set each.

Anyone may look (``/settings show``); changing one needs Manage Server or the admin role,
with the usual private refusal. Values are checked by the storage records, so nothing out of
bounds is stored half-way.
"""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands

from voicebot.bot import PluginContext, Refusal
from voicebot.bot.interactions import member_of, respond
from voicebot.bot.messages import lang_of
from voicebot.storage import MAX_NAME_REPEAT_SECONDS, GuildSettings, StorageLimitError

__all__ = ["describe", "setup"]

_OFF = ("none", "off", "なし")


def _on_off(value: bool, lang: str) -> str:
    return ("on" if value else "off") if lang == "en" else ("はい" if value else "いいえ")


def describe(
    settings: GuildSettings, guild: discord.Guild, bot_max_chars: int, lang: str
) -> dict[str, object]:
    """The fields of the ``settings_view`` message for ``settings`` in ``lang``."""
    none = "none" if lang == "en" else "なし"
    role = guild.get_role(settings.required_role) if settings.required_role is not None else None
    if settings.required_role is not None and role is None:
        role_text = "(deleted: everyone is read)" if lang == "en" else "(削除済み: 全員を読みます)"
    else:
        role_text = role.name if role is not None else none
    repeat = settings.name_repeat_seconds
    if lang == "en":
        repeat_text = f"again after {repeat} s of quiet" if repeat else "when the speaker changes"
    else:
        repeat_text = f"{repeat}秒読まれなかったらもう一度" if repeat else "話す人が変わったとき"
    return {
        "prefixes": " ".join(f"`{p}`" for p in settings.skip_prefixes) or none,
        "read_bots": _on_off(settings.read_bots, lang),
        "max_chars": settings.max_chars or bot_max_chars,
        "read_names": _on_off(settings.read_names, lang),
        "suffix": settings.name_suffix,
        "repeat": repeat_text,
        "members_only": _on_off(settings.voice_members_only, lang),
        "joins": _on_off(settings.read_joins, lang),
        "replies": _on_off(settings.read_replies, lang),
        "in_voice": _on_off(settings.text_in_voice, lang),
        "urls": _on_off(settings.read_urls, lang),
        "emoji": _on_off(settings.read_emoji, lang),
        "custom_emoji": _on_off(settings.read_custom_emoji, lang),
        "attachments": _on_off(settings.read_attachments, lang),
        "role": role_text,
        "voice": settings.default_voice or none,
        "ignored": len(settings.ignored_users),
    }


def setup(ctx: PluginContext) -> None:
    """Declare ``/settings``."""
    services = ctx.services
    db = services.db
    group = app_commands.Group(
        name="settings", description="読み上げ設定 / Reading settings", guild_only=True
    )

    async def change(interaction: discord.Interaction[Any], what: str, **changes: Any) -> None:
        member = member_of(interaction)
        services.require_admin(member)
        try:
            await db.update_guild_settings(member.guild.id, **changes)
        except StorageLimitError as exc:
            raise Refusal("settings_bad_value", reason=str(exc)) from None
        await respond(interaction, "settings_changed", what=what)

    @group.command(name="show", description="今の設定を表示 / Show the settings")
    async def show(interaction: discord.Interaction[Any]) -> None:
        member = member_of(interaction)
        current = await db.get_guild_settings(member.guild.id)
        fields = describe(current, member.guild, services.settings.max_chars, lang_of(interaction.locale))
        await respond(interaction, "settings_view", **fields)

    @group.command(name="skip_prefix", description="読まない接頭辞(管理者) / Prefixes not read (admins)")
    @app_commands.describe(prefixes="空白区切り。例: ; ! (なし: 全部読む)")
    async def skip_prefix(interaction: discord.Interaction[Any], prefixes: str) -> None:
        chosen = () if prefixes.strip().lower() in _OFF else tuple(dict.fromkeys(prefixes.split()))
        await change(interaction, f"skip prefixes {' '.join(chosen) or '-'}", skip_prefixes=chosen)

    @group.command(name="read_bots", description="ボットの発言を読む(管理者) / Read bots (admins)")
    async def read_bots(interaction: discord.Interaction[Any], state: Literal["on", "off"]) -> None:
        await change(interaction, f"read bots {state}", read_bots=state == "on")

    @group.command(name="max_chars", description="最大文字数(管理者) / Longest message read (admins)")
    async def max_chars(
        interaction: discord.Interaction[Any], count: app_commands.Range[int, 1, 5000]
    ) -> None:
        await change(interaction, f"max chars {count}", max_chars=count)

    @group.command(name="name_suffix", description="名前の後の敬称(管理者) / After names (admins)")
    @app_commands.describe(suffix="例: さん (なし: 付けない)")
    async def name_suffix(interaction: discord.Interaction[Any], suffix: str) -> None:
        chosen = "" if suffix.strip().lower() in _OFF else suffix.strip()
        await change(interaction, f"name suffix {chosen or '-'}", name_suffix=chosen)

    @group.command(name="name_repeat", description="名前をまた読むまでの秒数(管理者) / Repeat names (admins)")
    @app_commands.describe(seconds="この秒数読まれなかったら名前をもう一度 (0: 話す人が変わったときだけ)")
    async def name_repeat(
        interaction: discord.Interaction[Any], seconds: app_commands.Range[int, 0, MAX_NAME_REPEAT_SECONDS]
    ) -> None:
        await change(interaction, f"name repeat {seconds} s", name_repeat_seconds=seconds)

    @group.command(
        name="read_replies", description="返信先の名前を読む(管理者) / Say whom a reply answers (admins)"
    )
    async def read_replies(interaction: discord.Interaction[Any], state: Literal["on", "off"]) -> None:
        await change(interaction, f"read replies {state}", read_replies=state == "on")

    @group.command(name="read", description="URL・絵文字・添付を読むか(管理者) / What is read (admins)")
    @app_commands.describe(
        what="urls: URL / emoji: 絵文字 / custom_emoji: サーバー絵文字 / attachments: 添付"
    )
    async def read(
        interaction: discord.Interaction[Any],
        what: Literal["urls", "emoji", "custom_emoji", "attachments"],
        state: Literal["on", "off"],
    ) -> None:
        await change(interaction, f"read {what} {state}", **{f"read_{what}": state == "on"})

    @group.command(name="text_in_voice", description="VCのチャットも読む(管理者) / Read voice chat (admins)")
    async def text_in_voice(interaction: discord.Interaction[Any], state: Literal["on", "off"]) -> None:
        await change(interaction, f"text in voice {state}", text_in_voice=state == "on")

    @group.command(name="announce_joins", description="入退室を読み上げる(管理者) / Announce joins (admins)")
    async def announce_joins(interaction: discord.Interaction[Any], state: Literal["on", "off"]) -> None:
        await change(interaction, f"announce joins {state}", read_joins=state == "on")

    @group.command(
        name="voice_members_only", description="VCにいる人だけ読む(管理者) / Only members in voice (admins)"
    )
    async def voice_members_only(interaction: discord.Interaction[Any], state: Literal["on", "off"]) -> None:
        await change(interaction, f"voice members only {state}", voice_members_only=state == "on")

    @group.command(
        name="required_role", description="このロールの人だけ読む(管理者) / Required role (admins)"
    )
    @app_commands.describe(role="省略: 全員を読む / leave out: read everyone")
    async def required_role(interaction: discord.Interaction[Any], role: discord.Role | None = None) -> None:
        await change(
            interaction,
            f"required role {role.name if role else '-'}",
            required_role=role.id if role else None,
        )

    ctx.add_command(group)
