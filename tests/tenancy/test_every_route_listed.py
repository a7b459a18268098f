"""No route slips through the tenancy matrix unlisted (#18). Every operation of every service's OpenAPI
document (each app built in process, development routes included) is listed in exactly one ``ROUTES`` dict of
the tenancy modules (``tests/tenancy/test_*.py``; usually its service's ``test_<service>.py``, but a module may
list another service's routes it exercises, as logistics' does with billing's invoice specifications, keyed
"METHOD /path" or "<service> METHOD /path"), with a
known kind of coverage ("matrix:<file>" points at the module that covers it and is no second listing);
no listed route is stale. The routes kit gives every service (health, readiness,
/whoami) are the exception: the same in all six, they are in ``KIT_ROUTES`` below and may be listed again."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import cache
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
SERVICES = ["gateway", "booking", "billing", "logistics", "portal", "notify"]
METHODS = {"get", "post", "put", "patch", "delete"}
COVERAGE = ("matrix", "public", "own-account", "development")
#: Routes kit.service gives every service
KIT_ROUTES = {
    "GET /health/live": "public",
    "GET /health/ready": "public",
    "GET /whoami": "own-account",
}


@cache
def operations(service: str) -> frozenset[str]:
    settings = importlib.import_module(f"{service}.settings").Settings(environment="development")
    document = importlib.import_module(f"{service}.app").create_app(settings).openapi()
    return frozenset(f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
                     if method in METHODS)


@cache
def every_operation() -> frozenset[str]:
    return frozenset().union(*(operations(service) for service in SERVICES))


@cache
def listings() -> dict[str, tuple[dict[str, str], frozenset[str]]]:
    """Per tenancy module (by file name): its ROUTES and the routes it lists ahead of other work (ARRIVING).
    A module with ``DEFERS_TO = "<file>"`` lists routes until that module lands: then those it lists are its."""
    found = {}
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        name = f"tenancy_routes_{path.stem}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
        routes = getattr(module, "ROUTES", None)
        assert isinstance(routes, dict), f"tests/tenancy/{path.name} has no ROUTES dict"
        found[path.name] = (routes, frozenset(getattr(module, "ARRIVING", ())), getattr(module, "DEFERS_TO", None))
    # a module listing routes ahead of another module (DEFERS_TO) gives them up once that module is there
    for name, (routes, arriving, defers_to) in list(found.items()):
        if defers_to in found:
            theirs = found[defers_to][0]
            found[name] = ({route: kind for route, kind in routes.items() if route not in theirs}, arriving, None)
    return {name: (routes, arriving) for name, (routes, arriving, _) in found.items()}


def home(module: str) -> str | None:
    """The service a module is about, from its name: test_<service>.py or test_<service>_<anything>.py."""
    stem = module.removesuffix(".py").removeprefix("test_")
    return next((service for service in SERVICES if stem == service or stem.startswith(f"{service}_")), None)


def lists(module: str, routes: dict[str, str], service: str, route: str) -> bool:
    """Whether ``module`` lists ``service``'s ``route``: as "<service> METHOD /path", or as "METHOD /path" in the
    service's own module, or in another's where that module's service has no such route (paths such as
    ``GET /clients`` exist in more than one service)."""
    key = f"{service} {route}" if f"{service} {route}" in routes else route
    if key not in routes:
        return False
    if key == route:
        owner = home(module)
        if not (owner is None or owner == service or route not in operations(owner)):
            return False
    elsewhere = referenced(routes[key])  # "matrix:logistics": a pointer to the module that lists it, not a listing
    return not (elsewhere and elsewhere.name in listings() and elsewhere.name != module)


def referenced(coverage: str) -> Path | None:
    """The file a "matrix:<file>" coverage names: a path under tests/ or tests/tenancy/, or a tenancy module's
    service ("matrix:logistics" is tests/tenancy/test_logistics.py)."""
    kind, _, file = coverage.partition(":")
    if kind != "matrix" or not file:
        return None
    for candidate in (TESTS / file, HERE / file, HERE / f"test_{file}.py", TESTS / f"{file}.py"):
        if candidate.is_file():
            return candidate
    return HERE / f"test_{file}.py" if file in SERVICES else TESTS / file


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_is_listed_exactly_once(service):
    unlisted, twice = [], []
    for route in sorted(operations(service) - set(KIT_ROUTES)):
        where = [name for name, (routes, _) in listings().items() if lists(name, routes, service, route)]
        if not where:
            unlisted.append(route)
        elif len(where) > 1:
            twice.append(f"{route} in {', '.join(where)} (keep one; the others may say matrix:tenancy/<file>)")
    assert not unlisted, (f"{service}: routes in no tenancy module's ROUTES (matrix, public, own-account or "
                          f"development; usually tests/tenancy/test_{service}.py): {unlisted}")
    assert not twice, f"{service}: routes listed in more than one module: {twice}"


def exists(route: str) -> bool:
    """``METHOD /path`` of any service, or ``<service> METHOD /path`` of that one."""
    service, _, rest = route.partition(" ")
    if service in SERVICES:
        return rest in operations(service)
    return route in every_operation()


def test_no_listed_route_is_stale_and_each_says_how_it_is_covered():
    for name, (routes, arriving) in listings().items():
        stale = sorted(route for route in set(routes) - arriving if not exists(route))
        assert not stale, f"{name}: ROUTES lists operations no service's OpenAPI document has: {stale}"
        for route, coverage in routes.items():
            kind, _, file = coverage.partition(":")
            assert kind in COVERAGE and (not file or kind == "matrix"), f"{name} {route}: unknown coverage {coverage!r}"
            if file:
                assert referenced(coverage).is_file(), f"{name} {route}: {file} names no test file under tests/"
            if kind == "development":
                assert "/dev/" in route, f"{name} {route}: only the /dev/ routes are development-only"
            if "/dev/" in route:  # a development route is one or the other, never a matrix route nor an account's
                assert kind in {"development", "public"}, f"{name} {route}: a /dev/ route is development"


def test_kit_routes_are_in_every_service():
    for service in SERVICES:
        assert set(KIT_ROUTES) <= operations(service), service
