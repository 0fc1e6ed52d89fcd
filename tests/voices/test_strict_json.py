"""The JSON reader for untrusted headers refuses what plain json.loads accepts."""

from __future__ import annotations

import json

import pytest

from voicebot.voices.strict_json import StrictJSONError, strict_json_loads


def test_duplicate_keys_are_refused_even_nested() -> None:
    text = '{"a": {"b": 1, "b": 2}}'
    assert json.loads(text) == {"a": {"b": 2}}  # what a lenient reader would silently do
    with pytest.raises(StrictJSONError, match="duplicate key 'b'"):
        strict_json_loads(text)


@pytest.mark.parametrize("text", ["[NaN]", "[Infinity]", "[-Infinity]"])
def test_non_standard_constants_are_refused(text: str) -> None:
    with pytest.raises(StrictJSONError, match="not valid JSON"):
        strict_json_loads(text)


def test_deep_nesting_and_garbage_are_refused() -> None:
    with pytest.raises(StrictJSONError):
        strict_json_loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(StrictJSONError, match="line 1"):
        strict_json_loads('{"a": }')


def test_valid_json_parses() -> None:
    assert strict_json_loads('{"a": [1, "x", null]}') == {"a": [1, "x", None]}
