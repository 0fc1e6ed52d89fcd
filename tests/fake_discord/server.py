"""The fake Discord: REST API and gateway websocket on plain HTTP, voice on TLS, all on 127.0.0.1.

Every REST call is recorded (:attr:`FakeDiscord.calls`); the test pushes gateway events with
:meth:`FakeDiscord.dispatch` and :meth:`FakeDiscord.run_command`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fake_discord.voice import VoiceServer

__all__ = ["FakeDiscord", "FakeGuild", "RestCall", "User"]

GUILD_ID = 900_000_000_000_000_001
TEXT_CHANNEL_ID = 900_000_000_000_000_002
VOICE_CHANNEL_ID = 900_000_000_000_000_003
OTHER_VOICE_CHANNEL_ID = 900_000_000_000_000_004
_VOICE_ROUND_TRIP_S = 0.02
_GUILD_STRIDE = 1 << 22  # guild k's ids are guild 0's plus k * _GUILD_STRIDE: consecutive shards
APPLICATION_ID = 900_000_000_000_000_010
OWNER_ID = 900_000_000_000_000_099
_PERMISSIONS = str((1 << 41) - 1 & ~(1 << 3 | 1 << 5))  # all but Administrator and Manage Server
_TIMESTAMP = "2026-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class User:
    """A Discord user of the fake guild."""

    id: int
    name: str
    bot: bool = False
    roles: tuple[int, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The user object as the API sends it."""
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
        }


BOT = User(APPLICATION_ID, "voicebot", bot=True)
ALICE = User(900_000_000_000_000_021, "alice")
BOB = User(900_000_000_000_000_022, "bob")
ADMIN_ROLE_ID = 900_000_000_000_000_030
ADMIN_ROLE_NAME = "読み上げ管理"
CAROL = User(900_000_000_000_000_023, "carol", roles=(ADMIN_ROLE_ID,))


@dataclass(frozen=True)
class FakeGuild:
    """One guild of the fake: a text channel, two voice channels and its listener.

    Guild 0 is the tests' guild (ALICE listens in its voice channel, BOB beside her); in the
    others a guild-specific member listens, since a user is in one voice channel at a time.
    """

    index: int

    def _id(self, base: int) -> int:
        return base + self.index * _GUILD_STRIDE

    @property
    def id(self) -> int:
        return self._id(GUILD_ID)

    @property
    def text_channel(self) -> int:
        return self._id(TEXT_CHANNEL_ID)

    @property
    def voice_channel(self) -> int:
        return self._id(VOICE_CHANNEL_ID)

    @property
    def other_voice_channel(self) -> int:
        """A second voice channel, empty unless a test moves someone there."""
        return self._id(OTHER_VOICE_CHANNEL_ID)

    @property
    def listener(self) -> User:
        """Who sits in :attr:`voice_channel` from the start and sends the guild's commands."""
        return ALICE if self.index == 0 else User(self._id(ALICE.id), f"listener{self.index}")

    @property
    def members(self) -> list[User]:
        return [BOT, ALICE, BOB, CAROL] if self.index == 0 else [BOT, self.listener, CAROL]


MAIN = FakeGuild(0)


@dataclass
class RestCall:
    """One recorded REST request."""

    method: str
    path: str
    json: Any


@dataclass
class _Gateway:
    ws: web.WebSocketResponse
    sequence: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    shard: int = 0


class FakeDiscord:
    """A Discord that one bot (in one process, or one process per shard) can log in to.

    Args:
        tls: the context the voice websocket is served with.
        guilds: how many guilds the bot is in (:class:`FakeGuild` 0 to ``guilds - 1``).
        shards: how many shards ``/gateway/bot`` recommends; a guild's events go to the
            connection of its shard (``(guild_id >> 22) % shards``, as on Discord).
    """

    def __init__(self, tls: ssl.SSLContext, guilds: int = 1, shards: int = 1) -> None:
        self.tls = tls
        self.guilds = [FakeGuild(index) for index in range(guilds)]
        self.shards = shards
        self.voice = VoiceServer()
        self.calls: list[RestCall] = []
        self.files: dict[str, bytes] = {}  # attachment id -> content
        self.identifies = 0
        self.resumes = 0
        self.voice_channel_of: dict[int, int | None] = {BOB.id: VOICE_CHANNEL_ID}  # humans' channels
        self.voice_channel_of.update({guild.listener.id: guild.voice_channel for guild in self.guilds})
        self.bot_channels: dict[int, int | None] = {}  # guild id -> the bot's voice channel
        self.voice_requests: list[int | None] = []  # the channel of each op 4 the bot sent; None: leave
        self.callback_delay = 0.0  # seconds before answering an interaction callback (a far Discord)
        self._ids = itertools.count(950_000_000_000_000_000)
        self._gateways: dict[int, _Gateway] = {}  # by shard
        self._session_shards: dict[str, int] = {}  # gateway session id -> its shard
        self._voice_replies: dict[int, asyncio.Future[None]] = {}  # guild id -> its last answer
        self._connected = asyncio.Event()
        self._runners: list[web.AppRunner] = []
        self.port = 0
        self.voice_port = 0

    # --- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Serve on free ports of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway_ws)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        app.router.add_get("/attachments/{key}/{filename}", self._attachment)
        voice_app = web.Application()
        voice_app.router.add_get("/", self.voice.handle)
        self.port = await self._serve(app, None)
        self.voice_port = await self._serve(voice_app, self.tls)
        await self.voice.start()

    async def _serve(self, app: web.Application, tls: ssl.SSLContext | None) -> int:
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        self._runners.append(runner)
        return runner.addresses[0][1]

    async def close(self) -> None:
        """Stop serving."""
        for reply in self._voice_replies.values():
            reply.cancel()
        self.voice.close()
        for runner in self._runners:
            await runner.cleanup()

    @property
    def api_base(self) -> str:
        """The REST base URL for ``VOICEBOT_DISCORD_API_BASE``."""
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The gateway URL for ``VOICEBOT_DISCORD_GATEWAY_URL``."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- what tests use -----------------------------------------------------------------
    def reset_connection(self) -> None:
        """Forget the last login, so that :meth:`wait_connected` waits for the next bot process."""
        self._connected.clear()

    async def wait_connected(self, timeout: float) -> None:
        """Wait until the bot has received READY and GUILD_CREATE."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    def bot_channel(self, guild: FakeGuild = MAIN) -> int | None:
        """The voice channel the bot is in, in ``guild`` (None: not in voice)."""
        return self.bot_channels.get(guild.id)

    async def wait_for_call(self, method: str, path_part: str, timeout: float, after: int = 0) -> RestCall:
        """The first recorded call (from index ``after``) whose path contains ``path_part``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for call in self.calls[after:]:
                if call.method == method and path_part in call.path:
                    return call
            if asyncio.get_running_loop().time() > deadline:
                seen = [(call.method, call.path) for call in self.calls]
                raise AssertionError(f"no {method} {path_part} within {timeout} s; calls: {seen}")
            await asyncio.sleep(0.02)

    def shard_of(self, guild: FakeGuild) -> int:
        """The shard whose connection receives ``guild``'s events."""
        return (guild.id >> 22) % self.shards

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send one gateway event (op 0) to the bot: to the shard of its guild."""
        shard = (int(data["guild_id"]) >> 22) % self.shards if "guild_id" in data else 0
        gateway = self._gateways.get(shard)
        assert gateway is not None, f"the bot is not connected (shard {shard})"
        await self._send(gateway, {"op": 0, "t": event, "d": data})

    async def run_command(
        self,
        user: User,
        name: str,
        options: dict[str, Any] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        channels: dict[str, int] | None = None,
        guild: FakeGuild = MAIN,
    ) -> str:
        """Send an INTERACTION_CREATE for ``/name`` from ``user``; returns the interaction token.

        Args:
            options: string and number options by name.
            files: attachment options by name, as (file name, content); the bot downloads them from the fake.
            channels: channel options by name, as the id of the guild's text or voice channel.
            guild: where the command is used (in its text channel).
        """
        token = f"token-{next(self._ids)}"
        parts = name.split()
        attachments = {}
        for option, (filename, content) in (files or {}).items():
            key = str(next(self._ids))
            self.files[key] = content
            attachments[key] = {
                "id": key,
                "filename": filename,
                "size": len(content),
                "url": f"http://127.0.0.1:{self.port}/attachments/{key}/{filename}",
                "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{key}/{filename}",
            }
            options = {**(options or {}), option: key}
        command_options = [
            {
                "name": key,
                "type": 11 if value in attachments else 3 if isinstance(value, str) else 10,
                "value": value,
            }
            for key, value in (options or {}).items()
        ]
        resolved_channels = {}
        for option, channel_id in (channels or {}).items():
            kind = 2 if channel_id in (guild.voice_channel, guild.other_voice_channel) else 0
            resolved_channels[str(channel_id)] = {
                "id": str(channel_id),
                "type": kind,
                "name": "voice" if kind == 2 else "general",
                "permissions": _PERMISSIONS,
            }
            command_options.append({"name": option, "type": 7, "value": str(channel_id)})
        for sub in reversed(parts[1:]):
            command_options = [{"name": sub, "type": 1, "options": command_options}]
        await self.dispatch(
            "INTERACTION_CREATE",
            {
                "id": str(next(self._ids)),
                "application_id": str(APPLICATION_ID),
                "type": 2,
                "token": token,
                "version": 1,
                "guild_id": str(guild.id),
                "channel_id": str(guild.text_channel),
                "channel": {
                    "id": str(guild.text_channel),
                    "type": 0,
                    "guild_id": str(guild.id),
                    "name": "general",
                },
                "member": {**self._member(user), "permissions": _PERMISSIONS},
                "locale": "ja",
                "guild_locale": "ja",
                "app_permissions": _PERMISSIONS,
                "entitlements": [],
                "authorizing_integration_owners": {"0": str(guild.id)},
                "context": 0,
                "attachment_size_limit": 10 * 1024 * 1024,
                "data": {
                    "id": str(next(self._ids)),
                    "name": parts[0],
                    "type": 1,
                    "options": command_options,
                    "guild_id": str(guild.id),
                    "resolved": {"attachments": attachments, "channels": resolved_channels},
                },
            },
        )
        return token

    async def send_message(self, user: User, content: str) -> None:
        """A MESSAGE_CREATE from ``user`` in the text channel."""
        await self.dispatch(
            "MESSAGE_CREATE",
            {**self._message(user, content), "guild_id": str(GUILD_ID), "member": self._member(user)},
        )

    async def move(self, user: User, channel_id: int | None, guild: FakeGuild = MAIN) -> None:
        """A VOICE_STATE_UPDATE: ``user`` joins ``channel_id`` of ``guild`` (None: leaves voice).

        Moving the bot is what an admin's drag does: its voice state changes and, when it lands
        in a channel, a VOICE_SERVER_UPDATE follows, as after the bot's own request.
        """
        if user == BOT:
            await self._move_bot(guild, channel_id)
            return
        self.voice_channel_of[user.id] = channel_id
        await self.dispatch("VOICE_STATE_UPDATE", self._voice_state(user, channel_id, guild))

    async def drop_gateway(self, code: int = 4000) -> None:
        """Close the bot's gateway websocket (shard 0's) with ``code``."""
        await self._gateways[0].ws.close(code=code)

    # --- payloads -----------------------------------------------------------------------
    def _member(self, user: User) -> dict[str, Any]:
        return {
            "user": user.payload(),
            "roles": [str(role) for role in user.roles],
            "joined_at": _TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
        }

    def _message(self, author: User, content: str) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": str(TEXT_CHANNEL_ID),
            "author": author.payload(),
            "content": content,
            "timestamp": _TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }

    def _voice_state(self, user: User, channel_id: int | None, guild: FakeGuild) -> dict[str, Any]:
        return {
            "guild_id": str(guild.id),
            "channel_id": None if channel_id is None else str(channel_id),
            "user_id": str(user.id),
            "member": self._member(user),
            "session_id": f"session-{user.id}",
            "deaf": False,
            "mute": False,
            "self_deaf": False,
            "self_mute": False,
            "self_video": False,
            "suppress": False,
            "request_to_speak_timestamp": None,
        }

    def _role(self, role_id: int, name: str, position: int) -> dict[str, Any]:
        return {
            "id": str(role_id),
            "name": name,
            "permissions": _PERMISSIONS,
            "position": position,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def _guild(self, guild: FakeGuild) -> dict[str, Any]:
        users = guild.members
        return {
            "id": str(guild.id),
            "name": f"fake guild {guild.index}",
            "owner_id": str(OWNER_ID),  # nobody in the tests: owners may do anything
            "icon": None,
            "unavailable": False,
            "large": False,
            "member_count": len(users),
            "preferred_locale": "ja",
            "verification_level": 0,
            "explicit_content_filter": 0,
            "default_message_notifications": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_flags": 0,
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "presences": [],
            "joined_at": _TIMESTAMP,
            "roles": [self._role(guild.id, "@everyone", 0), self._role(ADMIN_ROLE_ID, ADMIN_ROLE_NAME, 1)],
            "channels": [
                {
                    "id": str(guild.text_channel),
                    "type": 0,
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                },
                *(
                    {
                        "id": str(channel),
                        "type": 2,
                        "name": name,
                        "position": position,
                        "bitrate": 64000,
                        "user_limit": 0,
                        "permission_overwrites": [],
                        "parent_id": None,
                        "rtc_region": None,
                    }
                    for position, (channel, name) in enumerate(
                        [(guild.voice_channel, "voice"), (guild.other_voice_channel, "voice 2")], start=1
                    )
                ),
            ],
            "members": [self._member(user) for user in users],
            "voice_states": [
                self._voice_state(user, channel, guild)
                for user in users
                if user != BOT and (channel := self.voice_channel_of.get(user.id))
            ],
        }

    # --- gateway ------------------------------------------------------------------------
    async def _send(self, gateway: _Gateway, payload: dict[str, Any]) -> None:
        async with gateway.lock:
            if payload["op"] == 0:
                gateway.sequence += 1
                payload["s"] = gateway.sequence
            await gateway.ws.send_json(payload)

    async def _gateway_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        gateway = _Gateway(ws)
        await self._send(gateway, {"op": 10, "d": {"heartbeat_interval": 41250}})
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await self._on_gateway(gateway, message.json())
        return ws

    async def _on_gateway(self, gateway: _Gateway, payload: dict[str, Any]) -> None:
        op, data = payload["op"], payload["d"]
        if op == 1:
            await self._send(gateway, {"op": 11, "d": None})
        elif op == 2:
            self.identifies += 1
            gateway.shard = data.get("shard", [0, 1])[0]
            self._gateways[gateway.shard] = gateway
            session = f"gateway-session-{self.identifies}"
            self._session_shards[session] = gateway.shard
            mine = [guild for guild in self.guilds if self.shard_of(guild) == gateway.shard]
            await self._send(
                gateway,
                {
                    "op": 0,
                    "t": "READY",
                    "d": {
                        "v": 10,
                        "user": BOT.payload(),
                        "guilds": [{"id": str(guild.id), "unavailable": True} for guild in mine],
                        "session_id": session,
                        "shard": [gateway.shard, self.shards],
                        "resume_gateway_url": self.gateway_url,
                        "application": {"id": str(APPLICATION_ID), "flags": 0},
                        "private_channels": [],
                        "relationships": [],
                    },
                },
            )
            for guild in mine:
                await self._send(gateway, {"op": 0, "t": "GUILD_CREATE", "d": self._guild(guild)})
            self._connected.set()
        elif op == 6:
            self.resumes += 1
            gateway.shard = self._session_shards.get(data["session_id"], 0)
            self._gateways[gateway.shard] = gateway
            await self._send(gateway, {"op": 0, "t": "RESUMED", "d": {}})
        elif op == 4:
            guild = self._guild_by_id(int(data["guild_id"]))
            channel = data["channel_id"] and int(data["channel_id"])
            self.voice_requests.append(channel)
            if channel is None and self.bot_channel(guild) is None:
                return  # Discord says nothing when a bot that is not in voice leaves again
            # Answer after a round trip, as Discord does: discord.py sends op 4 and only then
            # starts listening for the answer, so an answer processed in between is dropped.
            # Each guild's answers keep the order of its requests.
            previous = self._voice_replies.get(guild.id)
            self._voice_replies[guild.id] = asyncio.ensure_future(
                self._answer_voice_request(guild, channel, previous)
            )

    async def _answer_voice_request(
        self, guild: FakeGuild, channel: int | None, previous: asyncio.Future[None] | None
    ) -> None:
        if previous is not None:
            await previous
        await asyncio.sleep(_VOICE_ROUND_TRIP_S)
        await self._move_bot(guild, channel)

    def _guild_by_id(self, guild_id: int) -> FakeGuild:
        return next(guild for guild in self.guilds if guild.id == guild_id)

    async def _move_bot(self, guild: FakeGuild, channel: int | None) -> None:
        self.bot_channels[guild.id] = channel
        await self.dispatch("VOICE_STATE_UPDATE", self._voice_state(BOT, channel, guild))
        if channel is not None:
            await self.dispatch(
                "VOICE_SERVER_UPDATE",
                {
                    # A new token each time, as Discord gives: discord.py ignores an update equal
                    # to the last one, and a move's 4014 close may come first (then it waits 30 s).
                    "token": f"voice-token-{next(self._ids)}",
                    "guild_id": str(guild.id),
                    "endpoint": f"127.0.0.1:{self.voice_port}",
                },
            )

    # --- REST ---------------------------------------------------------------------------
    async def _attachment(self, request: web.Request) -> web.Response:
        return web.Response(body=self.files[request.match_info["key"]])

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body = (
            await request.json()
            if request.can_read_body and request.content_type == "application/json"
            else None
        )
        self.calls.append(RestCall(request.method, path, body))
        if path.endswith("/callback"):
            await asyncio.sleep(self.callback_delay)
        # discord.py parses JSON only when the content type is exactly this, without a charset
        payload = json.dumps(self._answer(request.method, path, body)).encode()
        return web.Response(body=payload, headers={"Content-Type": "application/json"})

    def _answer(self, method: str, path: str, body: Any) -> Any:
        parts = path.strip("/").split("/")
        if path == "/users/@me":
            return BOT.payload()
        if path == "/oauth2/applications/@me":
            return {
                "id": str(APPLICATION_ID),
                "name": BOT.name,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": ALICE.payload(),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        if path == "/gateway":
            return {"url": self.gateway_url}
        if path == "/gateway/bot":
            return {
                "url": self.gateway_url,
                "shards": self.shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            return [
                {
                    **command,
                    "id": str(next(self._ids)),
                    "application_id": str(APPLICATION_ID),
                    "version": "1",
                    "type": command.get("type", 1),
                }
                for command in body
            ]
        if parts[0] == "interactions":
            return {
                "interaction": {
                    "id": parts[1],
                    "type": 2,
                    "response_message_id": str(next(self._ids)),
                    "response_message_loading": True,
                    "response_message_ephemeral": True,
                },
                "resource": None,
            }
        if parts[0] in ("webhooks", "channels") and method in ("POST", "PATCH", "GET"):
            return {**self._message(BOT, (body or {}).get("content") or ""), "webhook_id": parts[1]}
        return {}
