"""The tenancy matrix's shared pieces (#18): the platform as `make run` starts it and the demo cast signed in
the way each person does, both from tests/journeys/people.py (one platform per session, shared with the
journeys); and the routes every service gets from kit, listed here once so that no service module has to.

A service's module ``tests/tenancy/test_<service>.py`` holds ``ROUTES``: every "METHOD /path" of that
service's OpenAPI document mapped to how it is covered:

- ``"matrix"``: that module signs in as people of two organisations and asserts the other organisation's
  records are refused and the own ones served, for reads and writes;
- ``"matrix:<file>"``: the same, in another test file (a path relative to tests/);
- ``"public"``: anyone may call it, signed in or not, and it shows nothing of any organisation;
- ``"own-account"``: it acts only on the caller's own account or session (no organisation in it);
- ``"development"``: a development-only route (absent in production, never forwarded by the gateway).

test_every_route_listed.py enforces it; the routes kit gives every service (health, readiness,
/whoami) are listed there once, in ``KIT_ROUTES``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "journeys"))
from people import Person, Platform, shared_platform  # noqa: E402

from kit import demo  # noqa: E402


def two_of(role: str) -> tuple[str, str]:
    """The usernames of two demo people who hold membership ``role`` in two different organisations
    (kit.demo): ``two_of("prescriber") == ("demo.prescriber", "demo.prescriber2")``."""
    found: list[tuple[str, set[str]]] = []
    for person in demo.PEOPLE:
        organisations = {key for key, held in person.memberships if held == role}
        if organisations and all(not organisations & theirs for _, theirs in found):
            found.append((person.username, organisations))
    assert len(found) >= 2, f"kit.demo has no two people with {role} in different organisations"
    return found[0][0], found[1][0]


@pytest.fixture(scope="session")
def platform(request) -> Platform:
    return shared_platform(request.config)


@pytest.fixture(scope="session")
def person(platform) -> Callable[[str], Person]:
    """``person("demo.prescriber2")``: that person of the demo cast, signed in as they sign in (cached)."""
    return platform.sign_in


@pytest.fixture(scope="session")
def pair(person) -> Callable[[str], tuple[Person, Person]]:
    """``mine, theirs = pair("care_coordinator")``: two people of that membership role in two organisations,
    signed in; a matrix test has ``mine`` read and write ``theirs``' records and expects a refusal."""
    def signed_in(role: str) -> tuple[Person, Person]:
        first, second = two_of(role)
        return person(first), person(second)

    return signed_in
