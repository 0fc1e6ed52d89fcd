"""The managed voice client hands discord.py's voice close codes to the recovery state machine."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord.errors import ConnectionClosed

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


@pytest.mark.parametrize(
    ("code", "key"), [(4017, "dave_required"), (4021, "voice_lost"), (4022, "voice_lost")]
)
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
