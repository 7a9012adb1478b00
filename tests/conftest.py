"""Shared fixtures. Golden files change only with --update-golden, and a person reads the diff."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from platform_cases import workload_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# The parsed-YAML disk cache (_perf.parsed_yaml) of the test run: its own folder, never the user's
# (inherited by the commands tests start as processes); tests of the cache set their own.
os.environ.setdefault("WHERETORUN_CACHE_DIR", tempfile.mkdtemp(prefix="wheretorun-test-cache-"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files (review the diff!)")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def one_workload():
    """Build a one-workload file with sensible defaults, overridden by keyword."""
    return workload_file
