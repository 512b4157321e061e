"""Shared fixtures: external oracles (R) and services that must exist in CI.

Tests that need R, PostgreSQL or a browser skip locally with a loud reason, and fail when the
``CI`` environment variable is set, because CI must run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def require_tool(name: str, why: str) -> str:
    """Return the path of executable *name*; skip loudly locally, fail in CI when missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} not found: {why}. Install it (./dev test does) to run this test."
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {message}")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def rscript() -> str:
    """Path of Rscript with lme4, lmerTest and emmeans loadable."""
    path = require_tool("Rscript", "R is the correctness oracle for the statistics")
    probe = subprocess.run(
        [path, "-e", "suppressMessages({library(lme4); library(lmerTest); library(emmeans)})"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        message = f"R packages lme4/lmerTest/emmeans missing: {probe.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
