"""Logging setup: one configured root handler, and a filter that keeps secrets out."""

from __future__ import annotations

import logging
import re
import sys

__all__ = ["RedactSecrets", "setup_logging"]

# Discord bot tokens: three base64url parts separated by dots (id.timestamp.hmac).
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}")


class RedactSecrets(logging.Filter):
    """Replace known secrets and anything shaped like a Discord token with ``[REDACTED]``."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self._secrets = [s for s in (secrets or []) if s]

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        return _TOKEN_RE.sub("[REDACTED]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes, not the stream it was made with
    (one replaced since, by a test's capture for example, may be closed by then)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _: object) -> None:
        pass


def setup_logging(level: str = "INFO", secrets: list[str] | None = None) -> None:
    """Configure the root logger once: a stderr handler with a redacting filter."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_voicebot", False):
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler._voicebot = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactSecrets(secrets))
    root.addHandler(handler)
    root.setLevel(level)
