"""Shared fixtures of the scale tests: a throwaway PostgreSQL server (tests/_postgres.py) and
one local SparkSession."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from tests._postgres import create_database, missing, postgres_server


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of an empty database on a throwaway server (skip locally / fail in CI without it)."""
    with postgres_server() as server:
        yield create_database(server, "linkwork_scale")


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local[2] SparkSession for every Spark test (its start-up takes seconds).

    Skips loudly locally, and fails when ``CI`` is set, without pyspark or a Java runtime.
    """
    try:
        import pyspark  # noqa: F401 - the engine under test
    except ImportError:
        missing("pyspark is not installed: install linkwork[test] (./dev test does)")
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and os.path.isdir(java_home)):
        missing("java not found: Spark needs a Java runtime (Debian default-jre-headless)")
    from linkwork.scale import spark_session

    session = spark_session(
        "local[2]",
        app_name="linkwork-tests",
        log_level="ERROR",
        config={
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "2",
            "spark.sql.warehouse.dir": str(tmp_path_factory.mktemp("spark-warehouse")),
        },
    )
    yield session
    session.stop()
