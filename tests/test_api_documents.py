"""The six OpenAPI documents and the gateway's merge of them, as a front-end team generating a client reads them
(issue #22): sound (a structural check: openapi-spec-validator is not in the lock), every protected operation
with the bearer scheme and its 401/403 problems, every operation with input with the problem+json 422 of the
real shape, operationIds unique and ``<service>_<feature>_<action>``, the idempotent routes typed, downloads
with their media type. Each app is built in process (development routes included), as
tests/tenancy/test_every_route_listed.py does; the tenancy modules' ROUTES say independently which routes are
public."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from functools import cache
from pathlib import Path

import pytest

from kit.openapi import merge
from kit.problems import MEDIA_TYPE
from kit.testing.openapi import faults, operations

SERVICES = ["gateway", "booking", "billing", "logistics", "portal", "notify"]
TENANCY = Path(__file__).resolve().parent / "tenancy"


@cache
def document(service: str) -> dict:
    settings = importlib.import_module(f"{service}.settings").Settings(environment="development")
    return importlib.import_module(f"{service}.app").create_app(settings).openapi()


@cache
def public_routes(service: str) -> frozenset[str]:
    """What the tenancy matrix lists as public (or development-only) for ``service``: no token needed."""
    sys.path.insert(0, str(TENANCY.parent / "journeys"))  # the tenancy modules import people, as their conftest lets them
    spec = importlib.util.spec_from_file_location("tenancy_every_route_listed", TENANCY / "test_every_route_listed.py")
    listed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(listed)
    public = {route for route, kind in listed.KIT_ROUTES.items() if kind == "public"}
    for module, (routes, _) in listed.listings().items():
        for route, kind in routes.items():
            if kind in ("public", "development") and listed.lists(module, routes, service, route):
                public.add(route.removeprefix(f"{service} "))
    return frozenset(public)


def problem_schema(response: dict) -> str:
    return response["content"][MEDIA_TYPE]["schema"]["$ref"].rsplit("/", 1)[1]


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_is_sound(service):
    assert faults(document(service), services=(service,)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_protected_operations_declare_the_bearer_scheme_and_401_403(service):
    """Protected: the bearer scheme and 401/403 problems. Public (``security: []``): only routes the tenancy matrix
    lists as public or development (that a protected route really refuses a caller without a token is asserted
    through the gateway: tests/journeys/test_front_end_developer.py)."""
    public = public_routes(service)
    for path, method, operation in operations(document(service)):
        route = f"{method.upper()} {path}"
        if operation["security"] == []:
            assert route in public, f"{route} needs no token, yet the tenancy matrix does not list it as public"
            continue
        assert operation["security"] == [{"bearerAuth": []}], f"{route}: no bearer scheme"
        for status in ("401", "403"):
            assert problem_schema(operation["responses"][status]) == "Problem", f"{route}: no {status} problem"
        assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
    assert document(service)["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_with_input_declares_the_real_422(service):
    doc = document(service)
    shape = doc["components"]["schemas"]["ValidationProblem"]
    assert set(shape["required"]) == {"type", "title", "status", "detail"}
    assert shape["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert doc["components"]["schemas"]["FieldError"]["required"] == ["field", "message"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, method, operation in operations(doc):
        has_input = bool(operation.get("parameters")) or "requestBody" in operation
        if has_input:
            assert problem_schema(operation["responses"]["422"]) == "ValidationProblem", f"{method} {path}"
        if "{" in path:
            assert problem_schema(operation["responses"]["404"]) == "Problem", f"{method} {path}"
        for status, response in operation["responses"].items():
            assert "X-Correlation-ID" in response["headers"], f"{method} {path} {status}"
            if status[0] in "45":
                assert list(response["content"]) == [MEDIA_TYPE], f"{method} {path} {status}"


def test_operation_ids_are_unique_across_the_platform_and_tags_are_described():
    seen: dict[str, str] = {}
    for service in SERVICES:
        doc = document(service)
        for path, method, operation in operations(doc):
            operation_id = operation["operationId"]
            assert operation_id.startswith(f"{service}_"), operation_id
            assert operation_id not in seen, f"{operation_id}: {seen.get(operation_id)} and {service} {method} {path}"
            seen[operation_id] = f"{service} {method} {path}"
        assert all(tag["description"] for tag in doc["tags"]), service
    assert seen["booking_calendar_create_slot"] == "booking post /slots"


def test_use_case_problems_are_declared_from_their_code():
    booking = document("booking")["paths"]
    reserve = booking["/slots/{slot_id}/reservations"]["post"]["responses"]
    assert "/problems/slot-not-available" in reserve["409"]["x-problem-types"]  # raised in bookings.service
    assert "/problems/idempotency-key-reused" in reserve["422"]["x-problem-types"]  # kit.idempotency
    login = document("gateway")["paths"]["/identity/password/login"]["post"]["responses"]
    assert "Retry-After" in login["429"]["headers"]  # kit.throttle's guard


def test_idempotent_routes_are_typed_and_say_when_they_replay():
    routes = {("booking", "/slots/{slot_id}/reservations"): "BookingOut",
              ("booking", "/slots/{slot_id}/bookings"): "BookingOut",
              ("billing", "/payments/{payment_id}/pay"): "PaymentOut"}
    for (service, path), schema in routes.items():
        operation = document(service)["paths"][path]["post"]
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
        (status, answer), = ((s, r) for s, r in operation["responses"].items() if s.startswith("2"))
        assert answer["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{schema}"}
        assert "Idempotent-Replayed" in answer["headers"]


def test_downloads_have_their_media_types():
    expected = {
        ("logistics", "/pickups/{pickup_id}.pdf"): "application/pdf",
        ("portal", "/clients/{client_id}/plans/{plan_id}.pdf"): "application/pdf",
        ("billing", "/reports/sessions.xlsx"): "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ("booking", "/calendar/feed/{token}.ics"): "text/calendar",
    }
    for (service, path), media in expected.items():
        content = document(service)["paths"][path]["get"]["responses"]["200"]["content"]
        assert content == {media: {"schema": {"type": "string", "format": "binary"}}}, path
    receipt = document("logistics")["paths"]["/recipients/{recipient_id}/return-receipts"]["post"]["responses"]["201"]
    assert "Receipt-Number" in receipt["headers"] and "application/pdf" in receipt["content"]


def test_the_merged_document_has_every_service_under_its_public_paths():
    merged = merge(document("gateway"), {s: document(s) for s in SERVICES[1:]}, servers=[{"url": "https://gw"}])
    assert faults(merged, services=tuple(SERVICES)) == []
    assert merged["servers"] == [{"url": "https://gw"}]
    paths = set(merged["paths"])
    assert "/identity/password/login" in paths and "/api/booking/slots/{slot_id}/reservations" in paths
    assert not any("/dev/" in path for path in paths), "the gateway never forwards /dev/ routes"
    count = sum(1 for service in SERVICES for _, _, op in operations(document(service))
                if "development" not in op.get("tags", []))
    assert len(list(operations(merged))) == count
    reserve = merged["paths"]["/api/booking/slots/{slot_id}/reservations"]["post"]
    assert reserve["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/BookingBookingOut")
    assert {"502", "503", "504"} <= set(reserve["responses"])  # what the gateway itself may answer
    assert reserve["tags"] == ["booking bookings"]
