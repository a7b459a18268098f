"""A front-end developer (issue #22) reads the platform's one OpenAPI document at the gateway
(``/openapi/platform.json``, ``/docs`` over it), calls the versioned paths (``/api/v1/<service>/…``) as a demo
person, and finds that what the services answer is what the document declares: a bounded conformance run
through the gateway (schemathesis is not in the lock) of every GET operation, without a token and signed in as
three demo people, where no answer is a 5xx, every status is one the operation declares, every problem is
``application/problem+json``, and every protected operation refuses a caller without a token with a 401."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from people import ok

from kit.testing.openapi import faults, operations

SERVICES = ("gateway", "booking", "billing", "logistics", "portal", "notify")


@pytest.fixture(scope="module")
def document(platform) -> dict:
    return ok(httpx.get(f"{platform.gateway}/openapi/platform.json", timeout=30))


def test_the_platform_document_is_sound_and_under_the_public_paths(platform, document):
    assert faults(document, services=SERVICES) == []
    assert document["servers"] == [{"url": platform.gateway, "description": "the gateway"}]
    prefixes = {path.split("/")[2] for path in document["paths"] if path.startswith("/api/")}
    assert prefixes == set(SERVICES) - {"gateway"}
    assert "/identity/password/login" in document["paths"]
    docs = httpx.get(f"{platform.gateway}/docs", timeout=10)
    assert docs.status_code == 200 and "/openapi/platform.json" in docs.text


def test_the_versioned_paths_are_the_same_api(platform):
    therapist = platform.sign_in("demo.therapist")
    assert ok(therapist.get("/api/v1/booking/therapists/me/profile")) == ok(therapist.get("/api/booking/therapists/me/profile"))
    unknown = therapist.get("/api/v2/booking/therapists/me/profile")
    assert unknown.status_code == 404 and unknown.json()["type"] == "/problems/unknown-version"


def _filled(path: str) -> str:
    """A path with its parameters filled: an id nobody has, or a word."""
    return re.sub(r"{([^}]+)}", lambda m: str(uuid.uuid4()) if m.group(1).endswith("id") else "x", path)


def _gets(document: dict) -> list[tuple[str, dict]]:
    """The GET operations a request without further input can reach (no required query or header)."""
    found = []
    for path, method, operation in operations(document):
        required = [p for p in operation.get("parameters", []) if p.get("required") and p["in"] != "path"]
        if method == "get" and not required:
            found.append((path, operation))
    return found


def _conforms(answer: httpx.Response, operation: dict, what: str) -> None:
    assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:300]}"
    assert str(answer.status_code) in operation["responses"], (
        f"{what} answered {answer.status_code}, which it does not declare ({sorted(operation['responses'])})")
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("application/problem+json"), what
        assert {"type", "title", "status", "detail"} <= set(answer.json()), what


def test_without_a_token_protected_operations_answer_401_and_public_ones_what_they_declare(platform, document):
    with httpx.Client(base_url=platform.gateway, timeout=30) as anonymous:
        for path, operation in _gets(document):
            answer = anonymous.get(_filled(path))
            _conforms(answer, operation, f"GET {path} without a token")
            if operation["security"]:
                assert answer.status_code == 401, f"GET {path} is protected, yet answered {answer.status_code}"


@pytest.mark.parametrize("username", ["demo.therapist", "demo.prescriber", "demo.admin"])
def test_signed_in_every_answer_is_declared(platform, document, username):
    someone = platform.sign_in(username)
    for path, operation in _gets(document):
        _conforms(someone.get(_filled(path)), operation, f"GET {path} as {username}")


def test_without_a_token_every_protected_write_is_refused_as_declared(platform, document):
    """Writes without a token change nothing: each protected POST/PUT/PATCH/DELETE answers its declared 401."""
    with httpx.Client(base_url=platform.gateway, timeout=30) as anonymous:
        for path, method, operation in operations(document):
            if method == "get" or not operation["security"]:
                continue
            answer = anonymous.request(method.upper(), _filled(path), json={})
            _conforms(answer, operation, f"{method.upper()} {path} without a token")
            assert answer.status_code == 401, f"{method.upper()} {path} answered {answer.status_code} without a token"
