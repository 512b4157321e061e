"""A throwaway PostgreSQL server for tests (shared by tests/web and tests/scale).

:func:`postgres_server` runs ``initdb`` and ``pg_ctl`` in a temporary folder (as the
``postgres`` OS user when we are root), listening on 127.0.0.1 and a free port with trust
authentication, and stops and removes it afterwards. Missing server binaries or psycopg skip
the test loudly locally and fail it when ``CI`` is set (as tests/conftest.py's require_tool).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def missing(message: str) -> None:
    """Skip loudly locally, fail when CI is set (as tests/conftest.py's require_tool)."""
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {message}")
    pytest.skip(message)


def postgres_bin() -> str | None:
    """The folder of the PostgreSQL server binaries, or None."""
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(candidates[-1]) if candidates else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield its URL prefix ``postgresql://postgres@127.0.0.1:PORT/``."""
    bindir = postgres_bin()
    if bindir is None:
        missing("PostgreSQL server binaries (initdb) not found: install Debian `postgresql`")
    try:
        import psycopg  # noqa: F401 - the client the tests and the engines use
    except ImportError:
        missing("psycopg is not installed: install linkwork[web]")
    folder = tempfile.mkdtemp(prefix="linkwork-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(folder, "data")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)

    run(f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder}"
    log = os.path.join(folder, "log")
    run(f"{bindir}/pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/"
    finally:
        run(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Create database *name* on the server at *server_url*; return its URL."""
    import psycopg

    with psycopg.connect(server_url + "postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return server_url + name
