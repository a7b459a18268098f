"""No route slips through the tenancy matrix unlisted (#18): every operation of every service's OpenAPI
document (each app built in process, development routes included) is in exactly one place, its service's
``tests/tenancy/test_<service>.py`` ``ROUTES`` or ``KIT_ROUTES`` below (the routes kit gives every service), with a known kind of
coverage; and no listed route is stale."""

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
#: Routes kit.service gives every service: listed once here, so no service module lists them
KIT_ROUTES = {
    "GET /health/live": "public",
    "GET /health/ready": "public",
    "GET /whoami": "own-account",
}
#: Modules other tenancy work writes; the lead removes this when they are merged
PENDING = {"booking": "billing/booking tenancy", "billing": "billing/booking tenancy", "logistics": "logistics tenancy",
           "portal": "portal tenancy"}


@cache
def operations(service: str) -> frozenset[str]:
    settings = importlib.import_module(f"{service}.settings").Settings(environment="development")
    document = importlib.import_module(f"{service}.app").create_app(settings).openapi()
    return frozenset(f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
                     if method in METHODS)


def routes_of(service: str) -> dict[str, str]:
    path = HERE / f"test_{service}.py"
    assert path.exists(), f"tests/tenancy/test_{service}.py is missing: list every route of {service} in its ROUTES"
    name = f"tenancy_routes_{service}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    routes = getattr(module, "ROUTES", None)
    assert isinstance(routes, dict), f"tests/tenancy/test_{service}.py has no ROUTES dict"
    return routes


def params():
    for service in SERVICES:
        marks = [pytest.mark.xfail(reason=f"needs tests/tenancy/test_{service}.py from the {PENDING[service]} work",
                                   strict=False)] if service in PENDING and not (HERE / f"test_{service}.py").exists() else []
        yield pytest.param(service, marks=marks, id=service)


@pytest.mark.parametrize("service", list(params()))
def test_every_operation_is_listed_exactly_once(service):
    routes = routes_of(service)
    listed_twice = sorted(set(routes) & set(KIT_ROUTES))
    assert not listed_twice, f"{service}: listed in KIT_ROUTES already (conftest): {listed_twice}"
    unlisted = sorted(operations(service) - set(routes) - set(KIT_ROUTES))
    assert not unlisted, (f"{service}: routes missing from tests/tenancy/test_{service}.py ROUTES "
                          f"(matrix, public, own-account or development): {unlisted}")


@pytest.mark.parametrize("service", list(params()))
def test_no_listed_route_is_stale_and_each_says_how_it_is_covered(service):
    routes = routes_of(service)
    stale = sorted(set(routes) - operations(service))
    assert not stale, f"{service}: ROUTES lists operations its OpenAPI document does not have: {stale}"
    for route, coverage in routes.items():
        kind, _, file = coverage.partition(":")
        assert kind in COVERAGE and (not file or kind == "matrix"), f"{service} {route}: unknown coverage {coverage!r}"
        if file:
            assert (TESTS / file).exists(), f"{service} {route}: {file} does not exist under tests/"
        if coverage == "development" or "/dev/" in route:
            assert "/dev/" in route and coverage == "development", f"{service} {route}: development routes are the /dev/ ones"


def test_kit_routes_are_in_every_service():
    for service in SERVICES:
        assert set(KIT_ROUTES) <= operations(service), service
