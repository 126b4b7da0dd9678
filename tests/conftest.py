"""Shared fixtures and hypothesis profiles (ci: bounded, for make test; fuzz: long)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from abi.table import DEFAULT_DIR, Table, load_table

REPO = DEFAULT_DIR.parent
BUILD_GEN = REPO / "build" / "gen"

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "fuzz", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def table() -> Table:
    return load_table()


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO
