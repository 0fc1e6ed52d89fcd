"""Slash commands of the shipped plugins, driven with fake interactions against the real bot."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import numpy as np
import pytest
from aiohttp import web

from tests.bot.fakes import (
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
    FakeTextChannel,
    FakeVoiceChannel,
)
from tests.bot.helpers import invoke
from voicebot.bot import BotServices, PluginRegistry, Refusal
from voicebot.bot.client import forget_me_command
from voicebot.bot.interactions import speaker_autocomplete, voice_autocomplete
from voicebot.bot.limits import RateLimiter
from voicebot.bot.voice.manager import SessionManager
from voicebot.config import Settings
from voicebot.engine import Engine
from voicebot.storage import Database

ENGLISH = discord.Locale.american_english


def _member_in_voice(**kwargs: object) -> tuple[FakeMember, FakeVoiceChannel]:
    guild = FakeGuild()
    channel = FakeVoiceChannel(guild)
    member = FakeMember(guild, "たろう", **kwargs)  # type: ignore[arg-type]
    member.join(channel)
    return member, channel


async def _played(services: BotServices, guild: FakeGuild, count: int) -> list[list[bytes]]:
    session = services.sessions.get(guild.id)
    assert session is not None
    for _ in range(1000):
        if len(session.voice.played) >= count and not session.speaking and not session.pending:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.02)
    return session.voice.played  # type: ignore[attr-defined]


async def test_say_joins_the_callers_channel_and_speaks(
    registry: PluginRegistry, services: BotServices
) -> None:
    member, channel = _member_in_voice()
    interaction = FakeInteraction(member)
    await invoke(registry, "say", interaction, text="こんにちは")
    assert interaction.replies[-1].content == "読み上げます。"
    assert interaction.replies[-1].ephemeral
    session = services.sessions.get(member.guild.id)
    assert session is not None and session.voice.channel is channel
    played = await _played(services, member.guild, 1)
    assert len(played[0]) > 10


async def test_say_is_answered_once_its_audio_plays_or_at_once_behind_another(
    registry: PluginRegistry, services: BotServices
) -> None:
    # The answer waits for the first audio (while the workers compute it, a burst of answers
    # would take the CPU from them), unless the message waits its turn behind another one.
    member, channel = _member_in_voice()
    plays_when_deferred: list[int] = []

    def watch(interaction: FakeInteraction) -> FakeInteraction:
        defer = interaction.response.defer

        async def deferred(**options: Any) -> None:
            session = services.sessions.get(member.guild.id)
            plays_when_deferred.append(0 if session is None else len(session.voice.played))  # type: ignore[attr-defined]
            await defer(**options)

        interaction.response.defer = deferred  # type: ignore[method-assign]
        return interaction

    first = watch(FakeInteraction(member))
    await invoke(registry, "say", first, text="これは少し長めの文章で、順番を待たせるためのものです。")
    assert plays_when_deferred == [1] and first.replies[-1].content == "読み上げます。"
    other = FakeMember(member.guild, "other")
    other.join(channel)
    second = watch(FakeInteraction(other))
    await invoke(registry, "say", second, text="こんにちは")
    assert plays_when_deferred == [1, 1] and second.replies[-1].content == "読み上げます。"
    assert len((await _played(services, member.guild, 2))[1]) > 10  # and it is said in turn


async def test_say_refuses_when_the_caller_is_not_in_voice(registry: PluginRegistry) -> None:
    member = FakeMember(FakeGuild(), "はなこ")
    for locale, expected in (
        (discord.Locale.japanese, "ボイスチャンネルに参加"),
        (ENGLISH, "Join a voice channel"),
    ):
        interaction = FakeInteraction(member, locale=locale)
        await invoke(registry, "say", interaction, text="こんにちは")
        assert expected in interaction.replies[-1].content
        assert interaction.replies[-1].ephemeral


async def test_say_refuses_text_over_the_limit(registry: PluginRegistry, settings: Settings) -> None:
    member, _ = _member_in_voice()
    interaction = FakeInteraction(member, locale=ENGLISH)
    await invoke(registry, "say", interaction, text="あ" * (settings.max_chars + 1))
    reply = interaction.replies[-1]
    assert reply.ephemeral and f"within {settings.max_chars} characters" in reply.content


async def test_say_tells_why_text_in_an_unreadable_script_is_not_read(
    registry: PluginRegistry, services: BotServices
) -> None:
    member, _ = _member_in_voice()
    interaction = FakeInteraction(member, locale=ENGLISH)
    await invoke(registry, "say", interaction, text="안녕하세요 ★")
    reply = interaction.replies[-1]
    assert reply.ephemeral and "not Korean or Arabic script" in reply.content
    assert services.sessions.get(member.guild.id) is None  # nothing joined for nothing to say


async def test_say_is_rate_limited_per_user(registry: PluginRegistry, services: BotServices) -> None:
    services.limiter = RateLimiter(2, 60.0)
    member, _ = _member_in_voice()
    replies = []
    for _ in range(3):
        interaction = FakeInteraction(member)
        await invoke(registry, "say", interaction, text="はい。")
        replies.append(interaction.replies[-1].content)
    assert replies[:2] == ["読み上げます。"] * 2
    assert "秒ほど待って" in replies[2]


async def test_say_refuses_when_the_queue_is_full(registry: PluginRegistry, settings: Settings) -> None:
    guild = FakeGuild()
    channel = FakeVoiceChannel(guild)
    replies = []
    for i in range(settings.max_queue + 3):  # different users, so the rate limit does not interfere
        member = FakeMember(guild, f"user{i}")
        member.join(channel)
        interaction = FakeInteraction(member)
        await invoke(
            registry, "say", interaction, text="これは少し長めの文章で、待ち行列を埋めるためのものです。"
        )
        replies.append(interaction.replies[-1].content)
    assert any("読み上げ待ちが" in r for r in replies)


async def test_say_rejects_an_unknown_voice(registry: PluginRegistry) -> None:
    member, _ = _member_in_voice()
    interaction = FakeInteraction(member)
    await invoke(registry, "say", interaction, text="こんにちは", voice="nosuchvoice")
    assert "「nosuchvoice」という声はありません" in interaction.replies[-1].content


async def test_join_skip_stop_leave(registry: PluginRegistry, services: BotServices) -> None:
    member, channel = _member_in_voice()
    interaction = FakeInteraction(member)
    await invoke(registry, "join", interaction)
    assert channel.mention in interaction.replies[-1].content
    for path, expected in (("skip", "読み上げ中のものはありません"), ("stop", "0件")):
        interaction = FakeInteraction(member)
        await invoke(registry, path, interaction)
        assert expected in interaction.replies[-1].content
    interaction = FakeInteraction(member)
    await invoke(registry, "leave", interaction)
    assert interaction.replies[-1].content == "ボイスチャンネルから退出しました。"
    assert services.sessions.get(member.guild.id) is None
    interaction = FakeInteraction(member)
    await invoke(registry, "skip", interaction)
    assert "/join" in interaction.replies[-1].content


async def test_voice_choice_is_stored_and_autocompleted(
    registry: PluginRegistry, services: BotServices
) -> None:
    member, _ = _member_in_voice()
    interaction = FakeInteraction(member)
    await invoke(registry, "voice set", interaction, voice="openjtalk", speaker="mei", speed=1.25)
    assert "openjtalk" in interaction.replies[-1].content or "Open JTalk" in interaction.replies[-1].content
    stored = await services.db.get_user_voice(member.guild.id, member.id)
    assert stored is not None and (stored.voice, stored.speaker, stored.speed) == ("openjtalk", "mei", 1.25)
    utterance = await services.prepare(member.guild, member.id, "テスト")  # type: ignore[arg-type]
    assert (utterance.voice, utterance.speed) == ("openjtalk", 1.25)
    bad = FakeInteraction(member)
    await invoke(registry, "voice set", bad, voice="openjtalk", speaker="nobody")
    assert "話者「nobody」はありません" in bad.replies[-1].content


async def test_voice_pitch_is_stored_bounded_and_offered_only_where_the_voice_has_it(
    registry: PluginRegistry, services: BotServices
) -> None:
    member, _ = _member_in_voice()
    interaction = FakeInteraction(member)
    await invoke(registry, "voice set", interaction, voice="openjtalk", pitch=-3.0)
    assert "高さ -3半音" in interaction.replies[-1].content
    stored = await services.db.get_user_voice(member.guild.id, member.id)
    assert stored is not None and (stored.pitch, stored.intonation) == (-3.0, 1.0)
    utterance = await services.prepare(member.guild, member.id, "テスト")  # type: ignore[arg-type]
    assert (utterance.voice, utterance.pitch) == ("openjtalk", -3.0)
    for kwargs, message in (
        ({"pitch": 12.5}, "-12〜+12 半音"),
        ({"intonation": 2.5}, "抑揚は 0(平坦)〜2"),
        ({"intonation": 1.5}, "抑揚を変えられません"),
    ):
        refused = FakeInteraction(member)
        await invoke(registry, "voice set", refused, voice="openjtalk", **kwargs)
        assert message in refused.replies[-1].content, kwargs
    stored = await services.db.get_user_voice(member.guild.id, member.id)
    assert stored is not None and stored.pitch == -3.0  # nothing stored half-way


async def test_dictionary_commands_and_reading(registry: PluginRegistry, services: BotServices) -> None:
    member, _ = _member_in_voice()
    interaction = FakeInteraction(member)
    await invoke(registry, "dict add", interaction, word="voicebot", reading="ぼいすぼっと")
    assert "ぼいすぼっと" in interaction.replies[-1].content
    listing = FakeInteraction(member)
    await invoke(registry, "dict list", listing)
    assert "voicebot → ぼいすぼっと" in listing.replies[-1].content
    utterance = await services.prepare(member.guild, member.id, "voicebotです")  # type: ignore[arg-type]
    assert "ぼいすぼっと" in utterance.text
    too_long = FakeInteraction(member)
    await invoke(registry, "dict add", too_long, word="x" * 51, reading="えっくす")
    assert "文字にしてください" in too_long.replies[-1].content
    removal = FakeInteraction(member)
    await invoke(registry, "dict remove", removal, word="VOICEBOT")
    assert "削除しました" in removal.replies[-1].content
    again = FakeInteraction(member)
    await invoke(registry, "dict remove", again, word="voicebot")
    assert "辞書にありません" in again.replies[-1].content


async def test_settings_and_dictionary_survive_a_restart(
    settings: Settings, engine: Engine, services: BotServices, registry: PluginRegistry
) -> None:
    member, _ = _member_in_voice()
    await invoke(registry, "dict add", FakeInteraction(member), word="鯖", reading="さば")
    await invoke(registry, "voice set", FakeInteraction(member), voice="openjtalk", speed=0.75)
    await services.db.close()
    async with Database.from_settings(settings) as reopened:
        restarted = BotServices(
            settings,
            engine,
            reopened,
            SessionManager(engine, max_queue=3, idle_timeout=60),
            RateLimiter(5, 60),
        )
        utterance = await restarted.prepare(member.guild, member.id, "鯖の話")  # type: ignore[arg-type]
    assert utterance.text.startswith("さば")
    assert utterance.speed == 0.75


@pytest.mark.parametrize("path", ["model list", "model default", "model remove"])
async def test_model_commands_refuse_non_admins(registry: PluginRegistry, path: str) -> None:
    member, _ = _member_in_voice()
    interaction = FakeInteraction(member)
    options = {} if path == "model list" else {"name": "openjtalk"}
    await invoke(registry, path, interaction, **options)
    assert "サーバー管理" in interaction.replies[-1].content
    assert interaction.replies[-1].ephemeral


@pytest.mark.parametrize("admin", [{"manage_guild": True}, {"roles": ("読み上げ管理",)}])
async def test_admins_may_list_and_set_the_default(
    registry: PluginRegistry, services: BotServices, admin: dict[str, object]
) -> None:
    member, _ = _member_in_voice(**admin)
    listing = FakeInteraction(member)
    await invoke(registry, "model list", listing)
    assert "openjtalk" in listing.replies[-1].content
    default = FakeInteraction(member)
    await invoke(registry, "model default", default, name="openjtalk")
    assert (await services.db.get_guild_settings(member.guild.id)).default_voice == "openjtalk"


class FakeAttachment:
    """An uploaded file: Discord serves it over HTTP (here from a local test server)."""

    def __init__(self, filename: str, url: str, size: int) -> None:
        self.filename = filename
        self.url = url
        self.size = size


async def test_model_upload_installs_a_voice_file(
    registry: PluginRegistry, services: BotServices, tiny_voice_file: Path, tmp_path: Path
) -> None:
    app = web.Application()
    app.router.add_static("/files/", tiny_voice_file.parent)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    member, _ = _member_in_voice(manage_guild=True)
    try:
        size = tiny_voice_file.stat().st_size
        good = FakeInteraction(member)
        file = FakeAttachment("tiny.safetensors", f"{base}/files/{tiny_voice_file.name}", size)
        await invoke(registry, "model upload", good, file=file, name="tiny")
        assert "声「tiny」をインストールしました" in good.replies[-1].content
        assert "tiny" in [v.name for v in services.engine.voices()]
        await invoke(registry, "voice set", FakeInteraction(member), voice="tiny", speaker="kumo", speed=1.5)
        chosen = await services.prepare(member.guild, member.id, "テスト")  # type: ignore[arg-type]
        assert (chosen.voice, chosen.speaker) == ("tiny", "kumo")

        wrong_type = FakeInteraction(member)
        await invoke(registry, "model upload", wrong_type, file=FakeAttachment("voice.pt", file.url, size))
        assert ".safetensors" in wrong_type.replies[-1].content

        too_big = FakeInteraction(member, locale=ENGLISH)
        big = FakeAttachment("big.safetensors", file.url, services.settings.max_upload_mb * 1024 * 1024 + 1)
        await invoke(registry, "model upload", too_big, file=big)
        assert "too large" in too_big.replies[-1].content

        rejected = FakeInteraction(member)
        await invoke(registry, "model upload", rejected, file=file, name="../evil")
        assert "この声ファイルは使えません" in rejected.replies[-1].content

        from _voicebot_plugins.models import download  # loaded by the registry

        with pytest.raises(Refusal, match="大きすぎます"):  # the size Discord reported was a lie
            await download(file.url, tmp_path / "capped.safetensors", max_bytes=100)
        with pytest.raises(Refusal, match="ダウンロードできません"):
            await download(f"{base}/files/missing.safetensors", tmp_path / "missing.safetensors", 10**6)

        removal = FakeInteraction(member)
        await invoke(registry, "model remove", removal, name="tiny")
        assert "削除しました" in removal.replies[-1].content
        assert "tiny" not in [v.name for v in services.engine.voices()]
        fallback = await services.prepare(member.guild, member.id, "テスト")  # type: ignore[arg-type]
        assert (fallback.voice, fallback.speaker, fallback.speed) == (None, None, 1.5)
    finally:
        await runner.cleanup()


async def test_reader_reads_the_channel_it_was_started_in(
    registry: PluginRegistry, services: BotServices
) -> None:
    member, _ = _member_in_voice()
    guild = member.guild
    text_channel = FakeTextChannel(guild)
    start = FakeInteraction(member, channel=text_channel)
    await invoke(registry, "reader on", start)
    assert "読み上げます" in start.replies[-1].content

    said: list[str] = []
    speak = services.speak

    async def spy(member: FakeMember, raw: str, **options: object) -> object:
        name = options.get("name")
        said.append(f"{name}、{raw}" if name else raw)
        return await speak(member, raw, **options)  # type: ignore[arg-type]

    services.speak = spy  # type: ignore[method-assign]
    other = FakeMember(guild, "じろう")
    bot = FakeMember(guild, "ほかのボット", bot=True)
    for author, content in ((member, "一つめ"), (member, "二つめ"), (other, "三つめ"), (bot, "読まない")):
        await registry.dispatch("message", FakeMessage(guild, text_channel, author, content))  # type: ignore[arg-type]
    await registry.dispatch("message", FakeMessage(guild, FakeTextChannel(guild), member, "別のチャンネル"))  # type: ignore[arg-type]
    await registry.dispatch(
        "message",
        FakeMessage(guild, text_channel, other, "", attachments=[object()]),  # type: ignore[arg-type]
    )
    played = await _played(services, guild, 4)
    assert len(played) == 4  # not the bot, not the other channel
    assert said == [
        "たろう、一つめ",
        "二つめ",
        "じろう、三つめ",
        "添付ファイル",
    ]  # names when the speaker changes

    stop = FakeInteraction(member, channel=text_channel)
    await invoke(registry, "reader off", stop)
    assert stop.replies[-1].content == "読み上げを終了しました。"
    await registry.dispatch("message", FakeMessage(guild, text_channel, member, "もう読まない"))  # type: ignore[arg-type]
    await asyncio.sleep(0.2)
    assert len(await _played(services, guild, 4)) == 4


async def test_reader_says_what_a_message_holds_by_kind(registry: PluginRegistry) -> None:
    from _voicebot_plugins.reader import ReaderSettings, message_text  # loaded by the registry

    guild = FakeGuild()
    channel = FakeTextChannel(guild)
    author = FakeMember(guild, "たろう")
    words = ReaderSettings()
    image, video = SimpleNamespace(content_type="image/png"), SimpleNamespace(content_type="video/mp4")
    other = SimpleNamespace(content_type=None)
    message = FakeMessage(
        guild,
        channel,
        author,
        "見て https://example.com",
        attachments=[image, video, image, other],
        stickers=[SimpleNamespace(name="ねこ"), SimpleNamespace(name="")],
    )
    said = message_text(message, words)  # type: ignore[arg-type]
    assert said == "見て https://example.com、画像2枚、動画、添付ファイル、スタンプ、ねこ、スタンプ"

    forward = FakeMessage(guild, channel, author, "")
    forward.message_snapshots = [  # type: ignore[attr-defined]
        SimpleNamespace(content="転送された話", attachments=[image], stickers=[])
    ]
    assert message_text(forward, words) == "転送された話、画像"  # type: ignore[arg-type]
    poll = FakeMessage(guild, channel, author, "")
    poll.poll = SimpleNamespace(question="お昼は何にする？")  # type: ignore[attr-defined]
    assert message_text(poll, words) == "投票、お昼は何にする？"  # type: ignore[arg-type]


async def test_forget_me_deletes_the_users_data(registry: PluginRegistry, services: BotServices) -> None:
    member, _ = _member_in_voice()
    await invoke(registry, "voice set", FakeInteraction(member), voice="openjtalk", speed=1.5)
    command = forget_me_command(services, registry)
    interaction = FakeInteraction(member)
    await command.callback(interaction)  # type: ignore[arg-type]
    assert "削除しました" in interaction.replies[-1].content
    assert await services.db.get_user_voice(member.guild.id, member.id) is None


async def test_voice_and_speaker_autocomplete_from_installed_voices(
    registry: PluginRegistry, engine: Engine
) -> None:
    interaction = FakeInteraction(FakeMember(FakeGuild(), "たろう"))
    voices = await voice_autocomplete(engine)(interaction, "JTALK")  # type: ignore[arg-type]
    assert [c.value for c in voices] == ["openjtalk"]
    assert await voice_autocomplete(engine)(interaction, "zzz") == []  # type: ignore[arg-type]
    interaction.namespace.voice = "openjtalk"
    speakers = await speaker_autocomplete(engine)(interaction, "")  # type: ignore[arg-type]
    assert [c.value for c in speakers] == ["mei"]


async def test_volume_per_user_makes_their_speech_louder_or_quieter(
    registry: PluginRegistry, services: BotServices
) -> None:
    from tests.audio.helpers import decode

    member, _ = _member_in_voice()
    loudness = []
    for played, volume in enumerate((50, 200), start=1):
        await invoke(registry, "voice set", FakeInteraction(member), voice="openjtalk", volume=volume)
        await invoke(registry, "say", FakeInteraction(member), text="音量のテストです")
        pcm = decode((await _played(services, member.guild, played))[-1])
        loudness.append(float(np.sqrt(np.mean(pcm**2))))
    assert loudness[1] > 2.5 * loudness[0]  # 12 dB apart, less what the peak limiter takes
    stored = await services.db.get_user_voice(member.guild.id, member.id)
    assert stored is not None and stored.volume == 2.0


async def test_voice_name_sets_how_the_reader_says_my_name(
    registry: PluginRegistry, services: BotServices
) -> None:
    member, _ = _member_in_voice()
    interaction = FakeInteraction(member, locale=ENGLISH)
    await invoke(registry, "voice name", interaction, reading="タロー")
    assert interaction.replies[-1].content == 'Your name is read as "タロー" in this server.'
    assert await services.spoken_name(member) == "タロー"  # type: ignore[arg-type]
    for bad, expected in (("안녕", "Nothing here can be read aloud"), ("あ" * 21, "within 20 characters")):
        refused = FakeInteraction(member, locale=ENGLISH)
        await invoke(registry, "voice name", refused, reading=bad)
        assert expected in refused.replies[-1].content
    assert await services.spoken_name(member) == "タロー"  # type: ignore[arg-type]  # nothing half-stored
    await invoke(registry, "voice name", FakeInteraction(member), reading="なし")
    assert await services.spoken_name(member) == "たろう"  # type: ignore[arg-type]
    member.display_name = "🎉" * 500
    assert await services.spoken_name(member) == "🎉" * 16  # type: ignore[arg-type]
    await invoke(registry, "voice name", FakeInteraction(member), reading="タロー")
    await invoke(registry, "forgetme", FakeInteraction(member)) if False else await services.delete_user_data(
        member.id
    )
    assert await services.db.get_name_reading(member.guild.id, member.id) is None  # /forgetme forgets it
