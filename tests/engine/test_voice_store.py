"""The cluster's voice store (the plain class; on the cluster it runs as a named Ray actor)."""

from __future__ import annotations

import pytest

from voicebot.engine.cluster.store import VoiceStore, voice_version

FILE_V1, FILE_V2 = b"voice file one", b"voice file two"
V1, V2 = voice_version(FILE_V1), voice_version(FILE_V2)


def test_a_version_lives_while_any_bot_process_holds_it() -> None:
    store = VoiceStore()
    store.put("default", V1, FILE_V1, holder="shard-0")
    store.put("default", V1, FILE_V1, holder="shard-1")
    store.put("default", V2, FILE_V2, holder="shard-0")  # shard 0 got an upload; shard 1 still on v1
    assert store.latest() == [("default", V2)]
    store.drop("default", V1, holder="shard-0")
    assert store.get("default", V1) == FILE_V1, "shard 1's requests still need it"
    store.drop("default", V1, holder="shard-1")
    assert store.get("default", V1) is None
    assert store.held() == [("default", V2)]
    store.drop("default", V2, holder="shard-0")
    assert store.latest() == [] and store.held() == []


def test_a_file_that_does_not_match_its_version_is_refused() -> None:
    store = VoiceStore()
    with pytest.raises(ValueError, match="does not match"):
        store.put("default", V1, FILE_V2, holder="shard-0")
    assert store.held() == [] and store.latest() == []
