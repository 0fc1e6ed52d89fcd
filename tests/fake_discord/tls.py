"""A self-signed certificate for the fake voice server (discord.py always dials voice with ``wss://``)."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

__all__ = ["self_signed"]


def self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """Make a key and a certificate for 127.0.0.1 with the ``openssl`` tool.

    Returns:
        The server's TLS context and the certificate file, which clients trust as their CA.
    """
    key, cert = folder / "fake-discord.key", folder / "fake-discord.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert
