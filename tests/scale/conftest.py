"""A throwaway PostgreSQL server for the PostgreSQL engine tests (tests/_postgres.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests._postgres import create_database, postgres_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of an empty database on a throwaway server (skip locally / fail in CI without it)."""
    with postgres_server() as server:
        yield create_database(server, "linkwork_scale")
