"""The model, audit, isolation and export tests again, on a real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SAME_TESTS = ["test_models.py", "test_audit.py", "test_isolation.py", "test_export.py"]


@pytest.mark.postgres
@pytest.mark.slow
def test_model_tests_pass_on_postgresql(postgres_server):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "LINKWORK_TEST_DATABASE_URL": postgres_server + "linkwork",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + [str(HERE / name) for name in SAME_TESTS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    assert "skipped" not in result.stdout
