"""discord.py's voice client with :mod:`~voicebot.bot.voice.recovery` deciding on close codes.

discord.py offers no public hook for voice close codes, so this overrides the one place that
sees them, ``VoiceConnectionState._poll_voice_ws``, and hands each failure to a
:class:`~voicebot.bot.voice.recovery.RecoveryDriver`. It also overrides
``VoiceConnectionState._create_socket`` so that a reconnect's new UDP socket is read at
all (see :class:`_VoiceSocket`). Written against discord.py 2.7.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Callable

import discord
from discord.errors import ConnectionClosed
from discord.voice_state import ConnectionFlowState, VoiceConnectionState, has_dave

from voicebot.bot.voice.recovery import Decision, RecoveryDriver, VoiceRecovery

__all__ = ["ManagedVoiceClient"]

_log = logging.getLogger(__name__)

DISCOVERY_RETRY_S = 1.0
"""Seconds between IP discovery packets while no answer has come (see
``_ManagedConnectionState.add_socket_listener``); at most ``DISCOVERY_TRIES`` more are sent."""
DISCOVERY_TRIES = 5


class _VoiceSocket(socket.socket):
    """A voice UDP socket whose ``close`` only shuts it down; :meth:`release` closes it.

    discord.py reads voice UDP on one thread, which waits in ``select()`` (30 s timeout) on
    the current socket; it closes that socket on every disconnect and opens a new one for
    the next connection. On Linux closing a socket does not wake a ``select()`` on it, so
    after a reconnect the thread kept waiting on the dead socket while the new connection's
    IP discovery reply sat unread, and the handshake timed out. Shutting the socket down
    wakes the thread. The descriptor must outlive that wake-up: a ``select()`` that looks
    again after the descriptor is closed (or its number reused) goes back to sleep.
    """

    def close(self) -> None:
        """Shut down, waking a reader thread waiting on the socket (discord.py's disconnect)."""
        with contextlib.suppress(OSError):  # never connected, or released
            self.shutdown(socket.SHUT_RDWR)

    def release(self) -> None:
        """Close the descriptor."""
        self.close()
        super().close()


class _ConnectionLink:
    """The :class:`~voicebot.bot.voice.recovery.VoiceLink` actions on one connection state.

    A separate object on purpose: discord.py's connection state already has an attribute
    named ``reconnect`` (a bool), which a method of that name would be shadowed by.
    """

    def __init__(self, state: _ManagedConnectionState) -> None:
        self.state = state

    @property
    def left(self) -> bool:
        return self.state.left

    async def wait_for_server(self) -> bool:
        return await self.state._potential_reconnect()

    async def resume(self) -> bool:
        return await self._fresh_connect(resume=True)

    async def reconnect(self) -> bool:
        await self.state.disconnect(cleanup=False)
        return await self._fresh_connect(resume=False)

    async def close(self) -> None:
        if self.state.state is not ConnectionFlowState.disconnected:
            await self.state.disconnect()

    async def _fresh_connect(self, *, resume: bool) -> bool:
        state = self.state
        voice_state = state.self_voice_state
        try:
            await state._connect(
                reconnect=True,
                timeout=state.timeout,
                self_deaf=voice_state.self_deaf if voice_state else state.self_deaf,
                self_mute=voice_state.self_mute if voice_state else state.self_mute,
                resume=resume,
            )
        except (TimeoutError, ConnectionClosed, OSError) as exc:
            _log.info("voice %s failed: %r", "resume" if resume else "reconnect", exc)
            return False
        return True


class _ManagedConnectionState(VoiceConnectionState):
    """A connection state whose websocket poller follows :class:`VoiceRecovery`, and which stays
    disconnected once the bot left (``left``).

    discord.py handles a VOICE_SERVER_UPDATE (an admin moved the bot) by closing the websocket
    and then marking the state ``got_voice_server_update``. When the bot leaves during that close
    (its new channel is empty), the mark came after the disconnect and revived the connection: it
    connected a websocket on the closed UDP socket, timed out 30 s later, and its give-up left
    whatever channel the bot had joined since.
    """

    def __init__(self, voice_client: ManagedVoiceClient, on_give_up: Callable[[Decision], None]) -> None:
        self.left = False
        super().__init__(voice_client)
        self.driver = RecoveryDriver(
            _ConnectionLink(self), VoiceRecovery(dave_available=has_dave), on_give_up=on_give_up
        )
        self._retired: _VoiceSocket | None = None
        self._discovery_retries: dict[Callable[[bytes], object], asyncio.Task[None]] = {}
        self._leaving: asyncio.Future[None] | None = None

    @property
    def state(self) -> ConnectionFlowState:
        """discord.py's connection flow state; after a final disconnect it stays ``disconnected``."""
        return self._state

    @state.setter
    def state(self, state: ConnectionFlowState) -> None:
        if self.left and state is not ConnectionFlowState.disconnected:
            _log.debug("voice connection already left; ignoring the change to %s", state.name)
            return
        VoiceConnectionState.state.fset(self, state)  # type: ignore[attr-defined]

    async def _wait_for_state(
        self, state: ConnectionFlowState, *other_states: ConnectionFlowState, timeout: float | None = None
    ) -> None:
        """Return once the state is one of those given; ``TimeoutError`` after ``timeout`` seconds.

        discord.py's version waits in a task that starts only on the loop's next turn; a state
        change in between (the setter sets and at once clears its event) was lost, and a move
        waited the full 30 s for a new voice server it already had.
        """
        states = (state, *other_states)
        async with asyncio.timeout(timeout):
            while self.state not in states:
                await self._state_event.wait()

    def add_socket_listener(self, callback: Callable[[bytes], object]) -> None:
        """discord.py's listener registration; while a listener waits, IP discovery is sent again.

        discord.py listens only for its IP discovery answer, and it sends the discovery packet
        once, *before* it starts listening. The UDP reader thread, still in ``select()`` from the
        last packet, could read the answer first and drop it (nobody was listening yet); a lost
        datagram does the same. The handshake then hung until its 30 s timeout (an admin's move
        left the bot silent that long). Discovery is idempotent, so it is repeated until answered.
        """
        super().add_socket_listener(callback)
        self._discovery_retries[callback] = asyncio.get_running_loop().create_task(self._repeat_discovery())

    def remove_socket_listener(self, callback: Callable[[bytes], object]) -> None:
        """discord.py's listener removal (its discovery was answered): stop repeating it."""
        retry = self._discovery_retries.pop(callback, None)
        if retry is not None:
            retry.cancel()
        super().remove_socket_listener(callback)

    async def _repeat_discovery(self) -> None:
        packet = struct.pack(">HHI66x", 1, 70, self.ssrc)  # request, length, our SSRC
        for _ in range(DISCOVERY_TRIES):
            await asyncio.sleep(DISCOVERY_RETRY_S)
            _log.debug("no IP discovery answer yet: sending it again")
            with contextlib.suppress(OSError):  # the socket closed meanwhile: the handshake fails anyway
                self.socket.send(packet)

    def _create_socket(self) -> None:
        if self._retired is not None:  # shut down a whole connection ago: the reader thread has left it
            self._retired.release()
        self._retired = self.socket if isinstance(self.socket, _VoiceSocket) else None
        if self._retired is not None:  # discord.py's disconnect did this, unless it replaces a live socket
            self._retired.close()
        self.socket = _VoiceSocket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setblocking(False)
        self._socket_reader.resume()

    async def disconnect(self, *, force: bool = True, cleanup: bool = True, wait: bool = False) -> None:
        """discord.py's disconnect; a final one (``cleanup``) marks the connection ``left``, stops
        repeating IP discovery and closes the UDP sockets, and happens once.

        It waits for Discord to confirm the bot left only while the bot is still in a channel:
        kicked by an admin, it is already out, Discord sends no second confirmation, and
        discord.py would wait its full timeout (20 s) before the next join could start.

        A kick runs two final disconnects: discord.py's own ("externally disconnected") and the
        session's leave. The second one waits for the first instead of sending a second leave
        request. Before, it returned while the first was still closing the voice websocket; the
        next message's join registered a new voice client, and the first disconnect's cleanup
        then unregistered *that* one, so its voice updates went nowhere and the join hung.
        """
        if not cleanup:
            await super().disconnect(force=force, cleanup=False, wait=wait)
            return
        if self._leaving is None:
            wait = wait and self.self_voice_state is not None and self.self_voice_state.channel is not None
            self._leaving = asyncio.ensure_future(self._leave(force=force, wait=wait))
        await asyncio.shield(self._leaving)

    async def _leave(self, *, force: bool, wait: bool) -> None:
        self.left = True
        for retry in self._discovery_retries.values():
            retry.cancel()
        self._discovery_retries.clear()
        await super().disconnect(force=force, cleanup=True, wait=wait)
        for udp in (self._retired, self.socket):
            if isinstance(udp, _VoiceSocket):
                udp.release()
        self._retired = None

    async def _poll_voice_ws(self, reconnect: bool) -> None:
        while True:
            try:
                await self.ws.poll_event()
            except asyncio.CancelledError:
                return
            except (TimeoutError, ConnectionClosed) as exc:
                code = exc.code if isinstance(exc, ConnectionClosed) else None
                if self._expecting_disconnect:
                    return
                if not await self.driver.handle_close(code):
                    return


class ManagedVoiceClient(discord.VoiceClient):
    """A :class:`discord.VoiceClient` that recovers from voice errors as Discord documents them.

    Args:
        client: the bot.
        channel: the voice channel.
        on_give_up: called once when the connection is abandoned, with the reason.
    """

    def __init__(
        self,
        client: discord.Client,
        channel: discord.abc.Connectable,
        on_give_up: Callable[[Decision], None] | None = None,
    ) -> None:
        self._on_give_up = on_give_up or (lambda decision: None)
        super().__init__(client, channel)

    @property
    def recovering(self) -> bool:
        """Whether the connection is being resumed or re-established after a voice error.

        A reconnect leaves and rejoins the channel, so the bot's own "left voice" update
        during it is part of the recovery, not a disconnection.
        """
        state = self._connection
        return isinstance(state, _ManagedConnectionState) and state.driver.recovering

    async def wait_recovered(self) -> None:
        """Return once no reconnect is in progress (at once when none is)."""
        state = self._connection
        if isinstance(state, _ManagedConnectionState):
            await state.driver.wait_recovered()

    def cleanup(self) -> None:
        """discord.py's cleanup, which unregisters the guild's voice client: only if that is us.

        discord.py unregisters whatever client the guild has. A disconnect that finishes after
        the guild's next voice client registered (see ``_ManagedConnectionState.disconnect``)
        would otherwise cut that new client off from its voice updates.
        """
        guild_id, _ = self.channel._get_voice_client_key()
        if self.client._connection._get_voice_client(guild_id) is self:
            super().cleanup()

    def create_connection_state(self) -> VoiceConnectionState:
        """discord.py's factory hook: our connection state instead of the default."""
        return _ManagedConnectionState(self, self._on_give_up)
