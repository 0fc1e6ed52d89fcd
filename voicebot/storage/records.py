"""The typed records the database stores, with the bounds each value must respect."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from voicebot.storage.errors import StorageLimitError

if TYPE_CHECKING:
    from voicebot.text import DictEntry

__all__ = [
    "MAX_AUTOJOIN_CHANNELS",
    "MAX_IGNORED_USERS",
    "MAX_NAME_CHARS",
    "MAX_NAME_READING_CHARS",
    "MAX_NAME_REPEAT_SECONDS",
    "MAX_NAME_SUFFIX_CHARS",
    "MAX_PATTERN_CHARS",
    "MAX_READING_CHARS",
    "MAX_SKIP_PREFIXES",
    "MAX_SKIP_PREFIX_CHARS",
    "MAX_SPEED",
    "MAX_VOLUME",
    "MIN_SPEED",
    "MIN_VOLUME",
    "GuildSettings",
    "ReaderChannels",
    "UserVoice",
]

MAX_PATTERN_CHARS = 50  # a dictionary word
MAX_READING_CHARS = 64  # its reading; refused when longer rather than cut when read
MAX_NAME_CHARS = 100  # voice and speaker names
MAX_SKIP_PREFIXES = 20
MAX_SKIP_PREFIX_CHARS = 16
MAX_IGNORED_USERS = 1000
MAX_AUTOJOIN_CHANNELS = 5
MAX_NAME_SUFFIX_CHARS = 10
MAX_NAME_REPEAT_SECONDS = 3600
MIN_SPEED = 0.5
MAX_SPEED = 2.0
# The voices' bounds (voicebot.model.pitch), repeated so that storage does not import torch.
MAX_PITCH_SEMITONES = 12.0
MIN_INTONATION, MAX_INTONATION = 0.0, 2.0
MIN_VOLUME, MAX_VOLUME = 0.25, 2.0
MAX_NAME_READING_CHARS = 20  # how a member's name is read (/voice name)


def _check_name(what: str, value: str | None) -> None:
    if value is not None and not 0 < len(value) <= MAX_NAME_CHARS:
        raise StorageLimitError(f"{what} must be 1 to {MAX_NAME_CHARS} characters (got {len(value)})")


@dataclass(frozen=True)
class GuildSettings:
    """One server's reading settings; a server that never changed any gets these defaults.

    Attributes:
        default_voice: voice for members who have not picked one (None: the bot's default).
        language: language of the bot's replies, ``"ja"`` or ``"en"``.
        max_chars: longest message read (None: the bot's ``max_chars`` setting).
        read_names: announce the author's name when the speaker changes.
        read_bots: read messages written by bots too.
        read_joins: announce members joining and leaving the voice channel.
        auto_join: join the voice channel by itself when reading starts.
        skip_prefixes: messages starting with one of these are not read (bot commands; ``;``
            by default, as readers of other bots expect).
        ignored_users: members whose messages are never read.
        name_suffix: said after the author's name (「さん」).
        name_repeat_seconds: also say the name again after this many seconds without a message
            read (0: only when the speaker changes).
        voice_members_only: read only members who are in the bot's voice channel.
        required_role: read only members with this role (its id; None: everyone).
        read_replies: say 「○○さんへの返信」 before a reply.
        text_in_voice: also read the chat of the voice channel the bot is in.
        read_urls, read_emoji, read_custom_emoji, read_attachments: say links (as 「URL」), emoji
            and the server's custom emoji by name, attachments by kind; off drops them.
    """

    default_voice: str | None = None
    language: Literal["ja", "en"] = "ja"
    max_chars: int | None = None
    read_names: bool = True
    read_bots: bool = False
    read_joins: bool = False
    auto_join: bool = False
    skip_prefixes: tuple[str, ...] = (";",)
    ignored_users: frozenset[int] = field(default_factory=frozenset)
    name_suffix: str = ""
    name_repeat_seconds: int = 0
    voice_members_only: bool = False
    required_role: int | None = None
    read_replies: bool = False
    text_in_voice: bool = True
    read_urls: bool = True
    read_emoji: bool = True
    read_custom_emoji: bool = True
    read_attachments: bool = True

    def __post_init__(self) -> None:
        _check_name("the default voice", self.default_voice)
        if self.language not in ("ja", "en"):
            raise StorageLimitError(f"language must be 'ja' or 'en' (got {self.language!r})")
        if self.max_chars is not None and not 1 <= self.max_chars <= 5000:
            raise StorageLimitError(f"max_chars must be 1 to 5000 (got {self.max_chars})")
        if len(self.skip_prefixes) > MAX_SKIP_PREFIXES:
            raise StorageLimitError(f"at most {MAX_SKIP_PREFIXES} skip prefixes: remove some first")
        if any(not 0 < len(p) <= MAX_SKIP_PREFIX_CHARS for p in self.skip_prefixes):
            raise StorageLimitError(f"a skip prefix must be 1 to {MAX_SKIP_PREFIX_CHARS} characters")
        if len(self.ignored_users) > MAX_IGNORED_USERS:
            raise StorageLimitError(f"at most {MAX_IGNORED_USERS} ignored members: remove some first")
        if len(self.name_suffix) > MAX_NAME_SUFFIX_CHARS:
            raise StorageLimitError(f"the name suffix must be at most {MAX_NAME_SUFFIX_CHARS} characters")
        if not 0 <= self.name_repeat_seconds <= MAX_NAME_REPEAT_SECONDS:
            raise StorageLimitError(f"the name repeat must be 0 to {MAX_NAME_REPEAT_SECONDS} seconds")


@dataclass(frozen=True)
class UserVoice:
    """The voice one member picked in one server.

    Attributes:
        voice: installed voice name.
        speaker: speaker of a multi-speaker voice (None: the voice's first).
        speed: speaking rate, 0.5 to 2.0.
        pitch: semitones, -12 to 12.
        intonation: liveliness of the pitch contour, 0 (flat) to 2; 1 as trained.
        volume: loudness against the others, 0.25 to 2.0 (1: the same as everyone).
    """

    voice: str
    speaker: str | None = None
    speed: float = 1.0
    pitch: float = 0.0
    intonation: float = 1.0
    volume: float = 1.0

    def __post_init__(self) -> None:
        _check_name("the voice name", self.voice)
        _check_name("the speaker name", self.speaker)
        if not MIN_SPEED <= self.speed <= MAX_SPEED:
            raise StorageLimitError(f"speed must be {MIN_SPEED} to {MAX_SPEED} (got {self.speed})")
        if not abs(self.pitch) <= MAX_PITCH_SEMITONES:
            raise StorageLimitError(f"pitch must be -{MAX_PITCH_SEMITONES:g} to {MAX_PITCH_SEMITONES:g}")
        if not MIN_INTONATION <= self.intonation <= MAX_INTONATION:
            raise StorageLimitError(f"intonation must be {MIN_INTONATION:g} to {MAX_INTONATION:g}")
        if not MIN_VOLUME <= self.volume <= MAX_VOLUME:
            raise StorageLimitError(f"volume must be {MIN_VOLUME:g} to {MAX_VOLUME:g} (got {self.volume:g})")


@dataclass(frozen=True)
class ReaderChannels:
    """Where a server's reader runs: the text channel read aloud and the voice channel spoken in."""

    guild_id: int
    text_channel_id: int
    voice_channel_id: int


@dataclass(frozen=True)
class SpeechSettings:
    """Everything that decides how one member's message in one server is read, read at once.

    Attributes:
        guild: the server's settings.
        dictionary: the server's dictionary.
        bot_dictionary: the dictionary of every server (applied after the server's own).
        user_voice: the voice the member picked there, or None.
    """

    guild: GuildSettings
    dictionary: list[DictEntry]
    bot_dictionary: list[DictEntry]
    user_voice: UserVoice | None
