"""The fake voice server: websocket handshake, UDP IP discovery and an RTP receiver.

Each voice websocket (one per guild the bot speaks in) gets its own SSRC and key; packets are
decrypted with their session's key (``aead_xchacha20_poly1305_rtpsize``, PyNaCl) and kept as
Opus with their arrival time and guild; :meth:`VoiceServer.pcm` decodes them (PyAV).

The arrival time is the kernel's receive timestamp (``SO_TIMESTAMPNS``) where there is one:
the fake shares the CPU with the bot it measures, and the time its event loop gets to a packet
is not the time the bot sent it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import sys
import time
from dataclasses import dataclass

import nacl.secret
import numpy as np
from aiohttp import WSMsgType, web

from tests.audio.helpers import decode

__all__ = ["MODE", "RtpPacket", "VoiceServer"]

MODE = "aead_xchacha20_poly1305_rtpsize"
_HEADER = 12
_FIRST_SSRC = 4242


@dataclass(frozen=True)
class RtpPacket:
    """One received voice packet: arrival time (``time.monotonic``), RTP sequence, Opus payload
    and the guild whose voice connection sent it."""

    at: float
    sequence: int
    opus: bytes
    guild_id: int


@dataclass
class _Session:
    guild_id: int
    key: bytes | None = None


# Linux only; Python before 3.14 does not name it (35 on x86-64 and arm64 alike).
_TIMESTAMP = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform == "linux" else None)
_ANCILLARY = socket.CMSG_SPACE(16)  # struct timespec


class _Udp:
    """The UDP socket: answers IP discovery and hands RTP packets to the server, each with the
    time it arrived (``time.monotonic``)."""

    def __init__(self, server: VoiceServer) -> None:
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        if _TIMESTAMP is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, _TIMESTAMP, 1)
        self._wall_to_monotonic = time.monotonic() - time.time()

    def read(self) -> None:
        """Take every datagram waiting (called by the event loop when the socket is readable)."""
        while True:
            try:
                data, ancillary, _, addr = self.sock.recvmsg(4096, _ANCILLARY)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # closed
                return
            self.received(data, addr, self._arrival(ancillary))

    def _arrival(self, ancillary: list[tuple[int, int, bytes]]) -> float:
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == _TIMESTAMP and len(value) >= 16:
                seconds, nanoseconds = struct.unpack("@qq", value[:16])
                return seconds + nanoseconds / 1e9 + self._wall_to_monotonic
        return time.monotonic()

    def received(self, data: bytes, addr: tuple[str, int], at: float) -> None:
        if len(data) == 74 and data[:2] == b"\x00\x01":
            reply = bytearray(74)
            struct.pack_into(">HHI", reply, 0, 2, 70, struct.unpack_from(">I", data, 4)[0])
            reply[8 : 8 + len(addr[0])] = addr[0].encode()
            struct.pack_into(">H", reply, 72, addr[1])
            self.sock.sendto(bytes(reply), addr)
        elif len(data) > _HEADER + 4:
            self.server.receive(data, at)


class VoiceServer:
    """Voice websocket handler plus a UDP socket on 127.0.0.1.

    Attributes:
        packets: every decrypted packet, in arrival order.
        close_codes: close codes to answer the next voice websocket connections with (test-set).
        opened_at: when each voice websocket was opened (``time.monotonic``).
    """

    def __init__(self) -> None:
        self.packets: list[RtpPacket] = []
        self.close_codes: list[int] = []
        self.opened_at: list[float] = []
        self.port = 0
        self._sessions: dict[int, _Session] = {}  # by SSRC
        self._ws: web.WebSocketResponse | None = None
        self._udp: _Udp | None = None

    @property
    def connections(self) -> int:
        """How many voice websockets were opened."""
        return len(self.opened_at)

    async def start(self) -> None:
        """Open the UDP socket."""
        udp = self._udp = _Udp(self)
        asyncio.get_running_loop().add_reader(udp.sock.fileno(), udp.read)
        self.port = udp.sock.getsockname()[1]

    def close(self) -> None:
        """Close the UDP socket."""
        if self._udp is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed already
                asyncio.get_running_loop().remove_reader(self._udp.sock.fileno())
            self._udp.sock.close()
            self._udp = None

    def receive(self, data: bytes, at: float) -> None:
        """Decrypt one RTP packet (arrived at ``at``) with its session's key and keep its Opus
        payload."""
        header, body, counter = data[:_HEADER], data[_HEADER:-4], data[-4:]
        session = self._sessions.get(struct.unpack_from(">I", header, 8)[0])
        if session is None or session.key is None:
            return  # not a voice packet of a described session
        opus = nacl.secret.Aead(session.key).decrypt(body, header, counter + bytes(20))
        sequence = struct.unpack_from(">H", header, 2)[0]
        self.packets.append(RtpPacket(at, sequence, opus, session.guild_id))

    def pcm(self, packets: list[RtpPacket] | None = None) -> np.ndarray:
        """Decode packets (all by default) to 48 kHz mono PCM. Returns: float64 array of shape (N,)."""
        chosen = self.packets if packets is None else packets
        return decode([packet.opus for packet in chosen])

    async def drop(self, code: int) -> None:
        """Close the bot's current voice websocket with ``code``."""
        assert self._ws is not None, "the bot has no voice connection"
        await self._ws.close(code=code)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """One voice websocket: Hello, then Ready / Session Description in reply to the bot."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.opened_at.append(time.monotonic())
        self._ws = ws
        if self.close_codes:
            await ws.close(code=self.close_codes.pop(0))
            return ws
        await ws.send_json({"op": 8, "d": {"heartbeat_interval": 5000}})
        session: _Session | None = None
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            payload = message.json()
            op, data = payload["op"], payload["d"]
            if op == 0:
                ssrc = _FIRST_SSRC + len(self._sessions)
                session = self._sessions[ssrc] = _Session(int(data["server_id"]))
                ready = {"ssrc": ssrc, "ip": "127.0.0.1", "port": self.port, "modes": [MODE]}
                await ws.send_json({"op": 2, "d": ready})
            elif op == 1:
                assert session is not None, "select protocol before identify"
                session.key = os.urandom(32)
                description = {
                    "mode": data["data"]["mode"],
                    "secret_key": list(session.key),
                    "dave_protocol_version": 0,
                }
                await ws.send_json({"op": 4, "d": description})
            elif op == 3:
                await ws.send_json({"op": 6, "d": {"t": data["t"]}})
            elif op == 7:
                await ws.send_json({"op": 9, "d": None})
        return ws
