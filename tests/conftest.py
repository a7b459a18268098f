"""The platform for the cross-service tests in tests/ that sign in as people do (#19): the one that
tests/journeys and tests/tenancy use (tests/journeys/people.py, ``shared_platform``: started once per pytest
session, on first use). Tests that need no platform never start it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "journeys"))
from people import Platform, shared_platform  # noqa: E402


@pytest.fixture(scope="session")
def platform(request) -> Platform:
    return shared_platform(request.config)
