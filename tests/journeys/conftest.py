"""The journeys' fixtures: the platform as `make run` starts it (once per session, shared with tests/tenancy)
and the people of the demo cast, each signed in the way they sign in (tests/journeys/people.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from people import Platform, shared_platform  # noqa: E402


@pytest.fixture(scope="session")
def platform(request) -> Platform:
    return shared_platform(request.config)
