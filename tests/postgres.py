"""A throwaway Postgres server for the tests: Debian's ``postgresql`` binaries, a fresh cluster
in a temporary folder, listening on 127.0.0.1 and a Unix socket there, stopped at the end.

Postgres refuses to run as root: under root the cluster belongs to the ``postgres`` user (made
by Debian's package). Without the binaries the tests that need the server are skipped, unless
``REQUIRE_POSTGRES=required`` (as ``.ci/run`` sets) makes that a failure. It is not a
``VOICEBOT_`` variable: the bot warns of those it does not know.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "postgres_server"]

_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _binary(name: str) -> str | None:
    for folder in _BIN_DIRS:
        if (folder / name).is_file():
            return str(folder / name)
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """A running cluster; :meth:`new_database` gives each test its own database."""

    def __init__(self, folder: Path, port: int, run_as: list[str]) -> None:
        self.folder = folder
        self.port = port
        self._run_as = run_as
        self._names = itertools.count()

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres:secret-password@127.0.0.1:{self.port}/{dbname}"

    def ctl(self, *args: str) -> None:
        """Run ``pg_ctl`` on the cluster (``"stop"``, ``"start"``, ``"restart"``...)."""
        pg_ctl = _binary("pg_ctl")
        assert pg_ctl is not None
        subprocess.run(
            [*self._run_as, pg_ctl, "-D", str(self.data), "-w", "-l", str(self.folder / "log"), *args],
            check=True,
            capture_output=True,
        )

    def new_database(self) -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def _start(folder: Path) -> PostgresServer:
    initdb = _binary("initdb")
    assert initdb is not None
    run_as: list[str] = []
    if os.geteuid() == 0:
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    password = folder / "password"
    password.write_text("secret-password\n")
    if run_as:
        shutil.chown(password, "postgres")
    subprocess.run(
        [
            *run_as,
            initdb,
            "-D",
            str(folder / "data"),
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            f"--pwfile={password}",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    with (folder / "data" / "postgresql.conf").open("a") as conf:
        conf.write(
            f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{folder}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )
    server = PostgresServer(folder, port, run_as)
    server.ctl("start")
    return server


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a cluster for the duration of the block (skip or fail without Postgres, see above)."""
    if _binary("initdb") is None or _binary("pg_ctl") is None:
        message = "Postgres is not installed (Debian: apt-get install postgresql)"
        if os.environ.get("REQUIRE_POSTGRES") == "required":
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.TemporaryDirectory(prefix="voicebot-pg-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o755)
        server = _start(folder)
        try:
            yield server
        finally:
            server.ctl("stop", "-m", "immediate")
