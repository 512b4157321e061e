"""Fixtures for the instrument tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from linkwork.instruments import REGISTRY


@pytest.fixture
def restore_registry() -> Iterator[None]:
    """Let a test register instruments; put the default registry back afterwards."""
    saved = dict(REGISTRY._specs)
    try:
        yield
    finally:
        REGISTRY._specs.clear()
        REGISTRY._specs.update(saved)
