"""The managed voice client hands discord.py's voice close codes to the recovery state machine,
and a reconnect's new UDP socket is read at once."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import discord
import pytest
from discord.errors import ConnectionClosed
from discord.voice_state import ConnectionFlowState

from tests.bot.fakes import FakeGuild, FakeVoiceChannel
from voicebot.bot.voice.client import ManagedVoiceClient
from voicebot.bot.voice.recovery import Decision


class ClosedSocket:
    """What discord.py's voice websocket looks like once Discord closed it with ``code``."""

    def __init__(self, code: int) -> None:
        self.close_code = code

    async def poll_event(self) -> None:
        raise ConnectionClosed(self, shard_id=None, code=self.close_code)  # type: ignore[arg-type]

    async def close(self, code: int = 1000) -> None:
        """Nothing to close."""


@pytest.mark.parametrize(("code", "key"), [(4017, "dave_failed"), (4021, "voice_lost"), (4022, "voice_lost")])
async def test_close_codes_reach_the_state_machine(code: int, key: str) -> None:
    gave_up: list[Decision] = []
    client = discord.Client(intents=discord.Intents.none())
    voice = ManagedVoiceClient(client, FakeVoiceChannel(FakeGuild()), on_give_up=gave_up.append)  # type: ignore[arg-type]
    state: Any = voice._connection
    try:
        state.ws = ClosedSocket(code)
        await state._poll_voice_ws(True)
        assert [d.message_key for d in gave_up] == [key]
    finally:
        state._socket_reader.stop()


class MovedSocket:
    """A connected voice websocket when an admin moves the bot: discord.py closes it with 4014 on
    the VOICE_SERVER_UPDATE, and that close takes until ``closing_done`` is set."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()
        self.closing_done = asyncio.Event()

    async def poll_event(self) -> None:
        await self.closed.wait()
        raise ConnectionClosed(self, shard_id=None, code=4014)  # type: ignore[arg-type]

    async def close(self, code: int = 1000) -> None:
        self.closed.set()
        if code == 4014:
            await self.closing_done.wait()


async def test_leaving_while_a_move_is_handled_stays_left_and_is_not_reported_lost() -> None:
    gave_up: list[Decision] = []
    guild = FakeGuild()
    client = discord.Client(intents=discord.Intents.none())
    voice = ManagedVoiceClient(client, FakeVoiceChannel(guild), on_give_up=gave_up.append)  # type: ignore[arg-type]
    state: Any = voice._connection
    ws = MovedSocket()
    state.ws = ws
    state.state = ConnectionFlowState.connected
    try:
        poller = asyncio.ensure_future(state._poll_voice_ws(True))
        server = {"token": "new", "guild_id": str(guild.id), "endpoint": "127.0.0.1:9"}
        update = asyncio.ensure_future(state.voice_server_update(server))  # the admin's move
        while not state.driver.recovering:
            await asyncio.sleep(0)
        await state.disconnect()  # the new channel is empty: the bot leaves
        ws.closing_done.set()
        await asyncio.wait_for(asyncio.gather(poller, update), timeout=5)
        assert state.state is ConnectionFlowState.disconnected, "the move revived the left connection"
        assert gave_up == [], "leaving was reported as a lost connection"
    finally:
        state._socket_reader.stop()


async def test_a_state_change_just_after_a_wait_began_ends_the_wait() -> None:
    client = discord.Client(intents=discord.Intents.none())
    state: Any = ManagedVoiceClient(client, FakeVoiceChannel(FakeGuild()))._connection  # type: ignore[arg-type]
    try:
        waiting = asyncio.ensure_future(
            state._wait_for_state(ConnectionFlowState.got_voice_server_update, timeout=2)
        )
        await asyncio.sleep(0)  # waiting has begun
        state.state = ConnectionFlowState.got_voice_server_update  # a move's new voice server
        await waiting  # discord.py's own wait missed this change and timed out
    finally:
        state._socket_reader.stop()


class ClosingSocket:
    """A connected voice websocket whose close handshake lasts until ``closed`` is set."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def poll_event(self) -> None:
        await self.closed.wait()

    async def close(self, code: int = 1000) -> None:
        await self.closed.wait()


async def test_a_kick_leaves_once_and_the_next_join_keeps_its_voice_updates() -> None:
    guild = FakeGuild()
    channel = FakeVoiceChannel(guild)
    client = discord.Client(intents=discord.Intents.none())
    old = ManagedVoiceClient(client, channel)  # type: ignore[arg-type]
    client._connection._add_voice_client(guild.id, old)
    state: Any = old._connection
    ws = ClosingSocket()
    state.ws = ws
    state.state = ConnectionFlowState.connected
    try:
        kicked = asyncio.ensure_future(state.voice_state_update({"channel_id": None}))  # an admin's kick
        leave = asyncio.ensure_future(old.disconnect(force=True))  # the session's own leave
        await asyncio.sleep(0.05)
        assert not leave.done(), "the session's leave returned before the kick's disconnect ended"
        new = ManagedVoiceClient(client, channel)  # type: ignore[arg-type]  # the next message's join
        client._connection._add_voice_client(guild.id, new)
        ws.closed.set()
        await asyncio.wait_for(asyncio.gather(kicked, leave), timeout=5)
        assert guild.voice_requests == [None], "one kick, one leave request"
        registered = client._connection._get_voice_client(guild.id)
        assert registered is new, "the old leave unregistered the new join"
    finally:
        state._socket_reader.stop()


@pytest.fixture
def udp_peer() -> Iterator[socket.socket]:
    """A UDP socket on 127.0.0.1 standing in for Discord's voice server."""
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.settimeout(2.0)
    yield peer
    peer.close()


def _exchange(state: Any, peer: socket.socket) -> bool:
    """Connect the state's current socket to ``peer``, send one packet and answer it.

    Returns:
        Whether discord.py's socket reader handed the answer to a listener within 2 s.
    """
    got = threading.Event()

    def listener(data: bytes) -> None:
        got.set()

    state.socket.connect(peer.getsockname())
    state.add_socket_listener(listener)
    try:
        state.socket.send(b"discovery")
        _, address = peer.recvfrom(64)
        peer.sendto(b"reply", address)
        return got.wait(2.0)
    finally:
        state.remove_socket_listener(listener)


async def test_a_reconnect_reads_the_same_socket_and_a_final_disconnect_closes_it(
    udp_peer: socket.socket,
) -> None:
    client = discord.Client(intents=discord.Intents.none())
    state: Any = ManagedVoiceClient(client, FakeVoiceChannel(FakeGuild()))._connection  # type: ignore[arg-type]
    try:
        state._create_socket()
        assert _exchange(state, udp_peer)  # the reader now waits in select() on this socket
        await state.disconnect(cleanup=False)  # what a reconnect does first
        state._create_socket()
        assert _exchange(state, udp_peer), "the reader missed the new connection's packet"
        udp = state.socket
        await state.disconnect()
        assert udp.fileno() == -1, "the UDP socket outlived the voice client"
    finally:
        state._socket_reader.stop()


async def test_an_unanswered_ip_discovery_is_sent_again_until_answered(udp_peer: socket.socket) -> None:
    client = discord.Client(intents=discord.Intents.none())
    state: Any = ManagedVoiceClient(client, FakeVoiceChannel(FakeGuild()))._connection  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    try:
        state._create_socket()
        state.socket.connect(udp_peer.getsockname())
        state.ssrc = 4242
        answered: asyncio.Future[bytes] = loop.create_future()

        def listener(data: bytes) -> None:  # what discord.py's discover_ip registers
            loop.call_soon_threadsafe(answered.set_result, data)

        state.socket.send(bytes(74))  # discord.py's one discovery packet, which gets lost
        state.add_socket_listener(listener)
        lost = await asyncio.to_thread(udp_peer.recvfrom, 128)
        again, address = await asyncio.to_thread(udp_peer.recvfrom, 128)
        assert len(lost[0]) == len(again) == 74 and again[:2] == b"\x00\x01"
        udp_peer.sendto(b"\x00\x02" + bytes(72), address)
        assert len(await asyncio.wait_for(answered, timeout=2)) == 74
        state.remove_socket_listener(listener)
    finally:
        await state.disconnect()  # closes the UDP socket
        state._socket_reader.stop()
