"""The reader: one name per change of speaker even for messages sent at once, the name switch,
and the members an admin excludes from reading."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace

import discord
import pytest_asyncio

from tests.bot.fakes import (
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
    FakeTextChannel,
    FakeVoiceChannel,
)
from tests.bot.helpers import invoke
from voicebot.bot import BotServices, PluginRegistry
from voicebot.bot.voice.session import Utterance

ENGLISH = discord.Locale.american_english


@dataclass
class Channel:
    """A server whose reader runs in ``text``; ``said`` collects what was handed to speak, in order."""

    registry: PluginRegistry
    admin: FakeMember
    text: FakeTextChannel
    said: list[str] = field(default_factory=list)

    async def post(self, *messages: tuple[FakeMember, str]) -> None:
        """Deliver the messages as the gateway does: each in its own task, all at once."""
        await asyncio.gather(
            *(
                self.registry.dispatch("message", FakeMessage(self.admin.guild, self.text, author, content))  # type: ignore[arg-type]
                for author, content in messages
            )
        )

    def member(self, name: str, **kwargs: object) -> FakeMember:
        return FakeMember(self.admin.guild, name, **kwargs)  # type: ignore[arg-type]


def _queued_texts(services: BotServices, guild_id: int) -> list[str]:
    """The texts queued in the guild's voice session from now on (announcements included)."""
    session = services.sessions.get(guild_id)
    assert session is not None
    texts: list[str] = []
    enqueue = session.enqueue

    def record(utterance: Utterance) -> None:
        texts.append(utterance.text)
        enqueue(utterance)

    session.enqueue = record  # type: ignore[method-assign]
    return texts


@pytest_asyncio.fixture(loop_scope="session")
async def channel(registry: PluginRegistry, services: BotServices) -> Channel:
    guild = FakeGuild()
    admin = FakeMember(guild, "たろう", manage_guild=True)
    admin.join(FakeVoiceChannel(guild))
    reading = Channel(registry, admin, FakeTextChannel(guild))
    await invoke(registry, "reader on", FakeInteraction(admin, channel=reading.text))
    speak = services.speak

    async def spy(member: FakeMember, raw: str, **options: object) -> object:
        session = await speak(member, raw, **options)  # type: ignore[arg-type]
        name = options.get("name")
        reading.said.append(f"{name}、{raw}" if name else raw)
        return session

    services.speak = spy  # type: ignore[method-assign]
    return reading


async def test_messages_sent_at_once_name_the_speaker_once_and_keep_their_order(channel: Channel) -> None:
    other = channel.member("じろう")
    await channel.post((channel.admin, "一つめ"), (channel.admin, "二つめ"), (other, "三つめ"))
    assert channel.said == ["たろう、一つめ", "二つめ", "じろう、三つめ"]


async def test_names_can_be_turned_off_and_on_by_an_admin(channel: Channel) -> None:
    other = channel.member("じろう")
    off = FakeInteraction(channel.admin)
    await invoke(channel.registry, "reader names", off, state="off")
    assert "名前を読み上げないようにしました" in off.replies[-1].content
    await channel.post((channel.admin, "一つめ"))
    await channel.post((other, "二つめ"))
    assert channel.said == ["一つめ", "二つめ"]

    refused = FakeInteraction(other, locale=ENGLISH)
    await invoke(channel.registry, "reader names", refused, state="on")
    assert "Only members with Manage Server or the admin role" in refused.replies[-1].content

    on = FakeInteraction(channel.admin, locale=ENGLISH)
    await invoke(channel.registry, "reader names", on, state="on")
    assert on.replies[-1].content == "The author's name is read when the speaker changes."
    await channel.post((channel.admin, "三つめ"))
    assert channel.said[-1] == "たろう、三つめ"


async def test_an_ignored_member_is_not_read_until_unignored(channel: Channel, services: BotServices) -> None:
    guild_id = channel.admin.guild.id
    noisy = channel.member("うるさい人")
    ignore = FakeInteraction(channel.admin)
    await invoke(channel.registry, "reader ignore", ignore, user=noisy)
    assert ignore.replies[-1].content.startswith("うるさい人 さんのメッセージを読み上げないようにしました")
    assert noisy.id in (await services.db.get_guild_settings(guild_id)).ignored_users  # kept across restarts

    await channel.post((noisy, "聞こえないはず"), (channel.admin, "聞こえる"))
    assert channel.said == ["たろう、聞こえる"]

    unignore = FakeInteraction(channel.admin, locale=ENGLISH)
    await invoke(channel.registry, "reader unignore", unignore, user=noisy)
    assert unignore.replies[-1].content == "Messages from うるさい人 are read again."
    await channel.post((noisy, "また聞こえる"))
    assert channel.said[-1] == "うるさい人、また聞こえる"

    again = FakeInteraction(channel.admin)
    await invoke(channel.registry, "reader unignore", again, user=noisy)
    assert "読み上げ対象外になっていません" in again.replies[-1].content


async def test_only_admins_or_the_admin_role_choose_who_is_not_read(channel: Channel) -> None:
    target = channel.member("じろう")
    refused = FakeInteraction(channel.member("はなこ"))
    await invoke(channel.registry, "reader ignore", refused, user=target)
    assert "サーバー管理" in refused.replies[-1].content
    await channel.post((target, "読まれる"))
    assert channel.said == ["じろう、読まれる"]

    moderator = FakeInteraction(channel.member("係の人", roles=("読み上げ管理",)))
    await invoke(channel.registry, "reader ignore", moderator, user=target)
    await channel.post((target, "読まれない"))
    assert channel.said == ["じろう、読まれる"]


async def test_webhook_messages_are_skipped_even_when_bots_are_read(
    channel: Channel, services: BotServices
) -> None:
    await services.db.update_guild_settings(channel.admin.guild.id, read_bots=True)
    webhook = SimpleNamespace(id=4242, bot=True, display_name="お知らせ")  # a discord.User: no guild
    await channel.post((webhook, "ウェブフックの投稿"), (channel.admin, "人の投稿"))  # type: ignore[arg-type]
    assert channel.said == ["たろう、人の投稿"]


async def test_messages_starting_with_a_skip_prefix_are_not_read(
    channel: Channel, services: BotServices
) -> None:
    await services.db.update_guild_settings(channel.admin.guild.id, skip_prefixes=(";", "!!"))
    await channel.post(
        (channel.admin, ";内緒の話"), (channel.admin, "!!コマンド"), (channel.admin, "普通の話")
    )
    assert channel.said == ["たろう、普通の話"]


async def test_a_refused_message_gets_a_reaction_saying_why_once_per_burst(channel: Channel) -> None:
    member = channel.member("じろう")
    member.join(channel.admin.voice.channel)  # type: ignore[union-attr]

    async def post(content: str) -> FakeMessage:
        message = FakeMessage(channel.admin.guild, channel.text, member, content)
        await channel.registry.dispatch("message", message)  # type: ignore[arg-type]
        return message

    unreadable = [await post(text) for text in ("안녕하세요", "مرحبا", "★☆♪")]
    assert [m.reactions for m in unreadable] == [["🔇"], [], []]  # one per burst, not one each
    read = [await post(text) for text in ("一つめ", "二つめ")]
    assert channel.said[-2:] == ["じろう、一つめ", "二つめ"] and all(not m.reactions for m in read)
    limited = [await post(text) for text in ("三つめ", "四つめ")]  # 5 a minute: over the limit
    assert [m.reactions for m in limited] == [["⏳"], []]
    assert (await post("")).reactions == []  # nothing in it at all: nothing to explain


async def test_settings_show_and_change_what_is_read(channel: Channel, services: BotServices) -> None:
    guild = channel.admin.guild
    show = FakeInteraction(channel.admin, locale=ENGLISH)
    await invoke(channel.registry, "settings show", show)
    view = show.replies[-1].content
    assert "Skip prefixes: `;`" in view and "Read bots: off" in view and "Required role: none" in view

    refused = FakeInteraction(channel.member("はなこ"))
    await invoke(channel.registry, "settings name_suffix", refused, suffix="さん")
    assert "サーバー管理" in refused.replies[-1].content
    for command, options in (
        ("settings name_suffix", {"suffix": "さん"}),
        ("settings skip_prefix", {"prefixes": "! ;"}),
    ):
        done = FakeInteraction(channel.admin, locale=ENGLISH)
        await invoke(channel.registry, command, done, **options)
        assert done.replies[-1].content.startswith("Setting changed:")
    other = channel.member("じろう")
    await channel.post((other, "!コマンド"), (other, ";内緒"), (other, "こんにちは"))
    assert channel.said == ["じろうさん、こんにちは"]

    too_long = FakeInteraction(channel.admin, locale=ENGLISH)
    await invoke(channel.registry, "settings name_suffix", too_long, suffix="さん" * 10)
    assert "cannot be used: the name suffix must be at most 10 characters" in too_long.replies[-1].content
    assert (await services.db.get_guild_settings(guild.id)).name_suffix == "さん"  # unchanged

    # Kept in the database: what a restarted bot reads.
    stored = await services.db.get_guild_settings(guild.id)
    assert stored.skip_prefixes == ("!", ";") and stored.name_suffix == "さん"


async def test_name_is_said_again_after_a_quiet_while(channel: Channel, services: BotServices) -> None:
    await services.db.update_guild_settings(channel.admin.guild.id, name_repeat_seconds=1)
    await channel.post((channel.admin, "一つめ"))
    await channel.post((channel.admin, "二つめ"))
    await asyncio.sleep(1.1)
    await channel.post((channel.admin, "三つめ"))
    assert channel.said == ["たろう、一つめ", "二つめ", "たろう、三つめ"]


async def test_required_role_and_voice_members_only(channel: Channel, services: BotServices) -> None:
    guild = channel.admin.guild
    listener = channel.member("聞き専", roles=("読み上げ対象",))
    listener.join(channel.admin.voice.channel)  # type: ignore[union-attr]
    outsider = channel.member("外の人", roles=("読み上げ対象",))  # not in the voice channel
    plain = channel.member("ロールなし")
    plain.join(channel.admin.voice.channel)  # type: ignore[union-attr]
    role = guild.role("読み上げ対象")
    await invoke(channel.registry, "settings required_role", FakeInteraction(channel.admin), role=role)
    await channel.post((plain, "ロールがない"), (listener, "ロールがある"))
    assert channel.said == ["聞き専、ロールがある"]
    await invoke(channel.registry, "settings voice_members_only", FakeInteraction(channel.admin), state="on")
    await channel.post((outsider, "VCの外から"), (listener, "VCの中から"))
    assert channel.said[-1] == "VCの中から" and "外の人、VCの外から" not in channel.said

    del guild.roles["読み上げ対象"]  # the role was deleted: everyone in the channel is read again
    await channel.post((plain, "ロールが消えた"))
    assert channel.said[-1] == "ロールなし、ロールが消えた"
    show = FakeInteraction(channel.admin, locale=ENGLISH)
    await invoke(channel.registry, "settings show", show)
    assert "Required role: (deleted: everyone is read)" in show.replies[-1].content


async def test_joins_and_leaves_are_announced_and_bursts_counted(
    channel: Channel, services: BotServices
) -> None:
    guild = channel.admin.guild
    heard = _queued_texts(services, guild.id)
    voice_channel = channel.admin.voice.channel  # type: ignore[union-attr]

    async def move(member: FakeMember, to: object) -> None:
        before = SimpleNamespace(channel=member.voice.channel if member.voice else None)
        member.join(to)  # type: ignore[arg-type]
        after = SimpleNamespace(channel=to)
        await channel.registry.dispatch("voice_state_update", member, before, after)

    quiet = channel.member("しずか")
    await move(quiet, voice_channel)
    await asyncio.sleep(1.2)
    assert heard == []  # off by default

    await invoke(channel.registry, "settings announce_joins", FakeInteraction(channel.admin), state="on")
    await move(quiet, None)
    await asyncio.sleep(1.2)
    crowd = [channel.member(f"人{i}") for i in range(6)]
    for member in crowd[:2]:
        await move(member, voice_channel)
    await asyncio.sleep(1.2)
    for member in crowd[2:]:
        await move(member, voice_channel)
    await move(channel.member("ボット", bot=True), voice_channel)  # bots are never announced
    await move(channel.member("よその人"), FakeVoiceChannel(guild))  # another channel: not ours
    await asyncio.sleep(1.2)
    emoji_name = channel.member("🎉" * 500)
    await move(emoji_name, voice_channel)
    await asyncio.sleep(1.2)
    assert heard[:3] == ["しずかさんが退出しました", "人0さん、人1さんが参加しました", "4人が参加しました"]
    assert len(heard) == 4 and len(heard[3]) < 200  # a 500-emoji nickname is cut, not read out whole


async def test_the_reader_and_announcements_use_the_name_reading(
    channel: Channel, services: BotServices
) -> None:
    await invoke(channel.registry, "voice name", FakeInteraction(channel.admin), reading="タロー")
    await channel.post((channel.admin, "こんにちは"))
    assert channel.said == ["タロー、こんにちは"]

    heard = _queued_texts(services, channel.admin.guild.id)
    await invoke(channel.registry, "settings announce_joins", FakeInteraction(channel.admin), state="on")
    guest = channel.member("ゲスト")
    await invoke(channel.registry, "voice name", FakeInteraction(guest), reading="おきゃく")
    before = SimpleNamespace(channel=None)
    guest.join(channel.admin.voice.channel)  # type: ignore[union-attr]
    after = SimpleNamespace(channel=guest.voice.channel)  # type: ignore[union-attr]
    await channel.registry.dispatch("voice_state_update", guest, before, after)
    await asyncio.sleep(1.2)
    assert heard == ["おきゃくさんが参加しました"]


async def test_replies_say_whom_they_answer_when_switched_on(channel: Channel, services: BotServices) -> None:
    other = channel.member("じろう")
    original = FakeMessage(channel.admin.guild, channel.text, channel.admin, "元の話")
    answer = FakeMessage(channel.admin.guild, channel.text, other, "そうだね")
    answer.reference = SimpleNamespace(resolved=original)  # type: ignore[attr-defined]
    gone = FakeMessage(channel.admin.guild, channel.text, other, "消えた話への返事")
    gone.reference = SimpleNamespace(resolved=None)  # type: ignore[attr-defined]  # deleted meanwhile
    await channel.registry.dispatch("message", answer)  # type: ignore[arg-type]
    await invoke(channel.registry, "settings read_replies", FakeInteraction(channel.admin), state="on")
    for message in (answer, gone):
        await channel.registry.dispatch("message", message)  # type: ignore[arg-type]
    assert channel.said == ["じろう、そうだね", "たろうさんへの返信、そうだね", "消えた話への返事"]


async def test_autojoin_brings_the_bot_and_reads_the_paired_channel_and_the_voice_chat(
    registry: PluginRegistry, services: BotServices
) -> None:
    guild = FakeGuild()
    admin = FakeMember(guild, "管理人", manage_guild=True)
    voice_channel, text = FakeVoiceChannel(guild), FakeTextChannel(guild)
    said: list[str] = []
    speak = services.speak

    async def spy(member: FakeMember, raw: str, **options: object) -> object:
        session = await speak(member, raw, **options)  # type: ignore[arg-type]
        said.append(raw)
        return session

    services.speak = spy  # type: ignore[method-assign]
    try:
        added = FakeInteraction(admin, channel=text, locale=ENGLISH)
        await invoke(registry, "autojoin add", added, voice=voice_channel)
        assert (
            added.replies[-1].content
            == f"When someone enters <#{voice_channel.id}>, I join and read <#{text.id}> aloud."
        )
        full = FakeInteraction(admin, locale=ENGLISH)
        for _ in range(5):
            await invoke(registry, "autojoin add", full, voice=FakeVoiceChannel(guild), text=text)
        assert "At most 5 auto-join channels" in full.replies[-1].content

        member = FakeMember(guild, "はなこ")
        member.join(voice_channel)
        before, after = SimpleNamespace(channel=None), SimpleNamespace(channel=voice_channel)
        await registry.dispatch("voice_state_update", member, before, after)
        session = services.sessions.get(guild.id)
        assert session is not None and session.voice.channel is voice_channel  # type: ignore[attr-defined]

        await registry.dispatch("message", FakeMessage(guild, text, member, "テキストから"))  # type: ignore[arg-type]
        await registry.dispatch("message", FakeMessage(guild, voice_channel, member, "VCのチャットから"))  # type: ignore[arg-type]
        await registry.dispatch("message", FakeMessage(guild, FakeTextChannel(guild), member, "よそ"))  # type: ignore[arg-type]
        assert said == ["テキストから", "VCのチャットから"]
        await invoke(registry, "settings text_in_voice", FakeInteraction(admin), state="off")
        await registry.dispatch("message", FakeMessage(guild, voice_channel, member, "もう読まない"))  # type: ignore[arg-type]
        assert said == ["テキストから", "VCのチャットから"]
    finally:
        services.speak = speak  # type: ignore[method-assign]
        await services.sessions.leave(guild.id)


async def test_links_emoji_custom_emoji_and_attachments_can_each_be_switched_off(
    channel: Channel, services: BotServices
) -> None:
    guild = channel.admin.guild
    text = "見て https://example.com 😀 <:nyan:123456789012345678>"
    before = await services.prepare(guild, channel.admin.id, text)  # type: ignore[arg-type]
    assert "URL" in before.text and "nyan" in before.text and len(before.text) > len("見て URL nyan")
    for what in ("urls", "emoji", "custom_emoji", "attachments"):
        await invoke(
            channel.registry, "settings read", FakeInteraction(channel.admin), what=what, state="off"
        )
    after = await services.prepare(guild, channel.admin.id, text)  # type: ignore[arg-type]
    assert after.text.strip() == "見て"
    image = SimpleNamespace(content_type="image/png")
    message = FakeMessage(guild, channel.text, channel.member("じろう"), "写真", attachments=[image])
    await channel.registry.dispatch("message", message)  # type: ignore[arg-type]
    assert channel.said[-1] == "じろう、写真"  # no 「画像」
    show = FakeInteraction(channel.admin, locale=ENGLISH)
    await invoke(channel.registry, "settings show", show)
    assert "Links: off · emoji: off · custom emoji: off · attachments: off" in show.replies[-1].content
