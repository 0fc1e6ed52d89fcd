"""JSON parsing for untrusted files: duplicate keys and NaN/Infinity literals are refused."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["StrictJSONError", "strict_json_loads"]


class StrictJSONError(ValueError):
    """The text is not strict JSON; the message says where or which key."""


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise StrictJSONError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not valid JSON")


def strict_json_loads(text: str) -> Any:
    """Parse ``text`` as JSON, refusing what :func:`json.loads` lets through.

    A duplicate key would let two readers of the same file see different values, so it is an
    error; so are the non-standard ``NaN`` / ``Infinity`` literals and absurd nesting.

    Raises:
        StrictJSONError: with a short description of the problem.
    """
    try:
        return json.loads(text, object_pairs_hook=_unique_object, parse_constant=_refuse_constant)
    except StrictJSONError:
        raise
    except json.JSONDecodeError as exc:
        raise StrictJSONError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # huge integers, deep nesting
        raise StrictJSONError(f"not valid JSON ({exc})") from None
