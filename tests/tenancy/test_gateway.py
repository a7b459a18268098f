"""The gateway's part of the tenancy matrix (issue #18): for every route of the gateway's own OpenAPI document,
a person of organisation 1 reaching organisation 2's record is refused and their own is served, signed in as
kit.demo's people (SITHS development certificate, password + SMS code). ``ROUTES`` lists every route as
"matrix", "public" or "own-account"; a new route that is not listed fails ``test_every_route_is_listed``."""

from __future__ import annotations

import json
import uuid

import pytest

from gateway.app import build as build_gateway
from gateway.devca import ca_for_tests, siths_headers
from gateway.seed import seed_demo
from gateway.settings import Settings as GatewaySettings
from kit import demo
from kit.testing import free_port, probe, running_service

ROUTES = {
    "GET /health/live": "public",
    "GET /health/ready": "public",
    "GET /health/services": "public",
    "GET /.well-known/jwks.json": "public",
    "GET /whoami": "own-account",
    "POST /identity/bankid/auth": "public",
    "GET /identity/bankid/qr/{order_ref}": "public",
    "POST /identity/bankid/collect": "public",
    "POST /identity/bankid/cancel": "public",
    "POST /identity/dev/bankid/sign": "public",
    "POST /identity/dev/bankid/cancel": "public",
    "POST /identity/siths/login": "public",
    "POST /identity/password/login": "public",
    "POST /identity/password/code": "public",
    "POST /identity/email/login": "public",
    "POST /identity/register": "public",
    "POST /identity/token/refresh": "public",
    "POST /identity/logout": "public",
    "GET /identity/sessions/ended": "public",
    "POST /identity/bankid/confirm": "public",
    "POST /identity/password/forgot": "public",
    "POST /identity/password/reset/check": "public",
    "POST /identity/password/reset": "public",
    "POST /identity/password/reset/code": "public",
    "POST /identity/contact/verify-link": "public",
    "POST /identity/me/email": "own-account",
    "POST /identity/me/phone": "own-account",
    "POST /identity/me/contact/confirm": "own-account",
    "POST /identity/password/change": "own-account",
    "POST /identity/terms/accept": "own-account",
    "GET /identity/me": "own-account",
    "POST /identity/act-for": "matrix",
    "POST /identity/accounts": "matrix",
    "POST /directory/organisations": "matrix",
    "GET /directory/organisations": "matrix",
    "GET /directory/organisations/{organisation_id}": "matrix",
    "PATCH /directory/organisations/{organisation_id}": "matrix",
    "GET /directory/organisations/{organisation_id}/members": "matrix",
    "POST /directory/organisations/{organisation_id}/members": "matrix",
    "DELETE /directory/organisations/{organisation_id}/members/{account_id}/{role}": "matrix",
    "GET /directory/organisations/{organisation_id}/representations": "matrix",
    "POST /directory/organisations/{organisation_id}/representations": "matrix",
    "DELETE /directory/organisations/{organisation_id}/representations/{representative_id}/{client_id}": "matrix",
}
D = "/directory/organisations"
CARE1, CARE2 = str(demo.demo_id("care.1")), str(demo.demo_id("care.2"))


def person(username: str) -> str:
    return str(demo.demo_id(username))


def test_every_route_is_listed():
    app = build_gateway(GatewaySettings(environment="development")).create_app()
    routes = {f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops}
    assert routes == set(ROUTES), {"not listed": sorted(routes - set(ROUTES)), "gone": sorted(set(ROUTES) - routes)}


@pytest.fixture(scope="module")
async def gw(test_env):
    settings = test_env.settings(GatewaySettings, database="gateway_tenancy_directory", http_port=free_port(), services={},
                                 trusted_proxies=["127.0.0.1"], siths_ca_bundle=ca_for_tests().pem)
    async with running_service(build_gateway(settings), test_env, http=True) as gateway:
        async with gateway.app.state.db.transaction() as session:
            await seed_demo(session, settings)
        yield gateway


async def siths(gw, username: str) -> dict:
    someone = demo.BY_USERNAME[username]
    login = await gw.client.post("/identity/siths/login", headers=siths_headers(someone.hsa_id, someone.display_name))
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def password(gw, test_env, username: str) -> dict:
    async with probe(test_env, "gateway.login_code_requested.v1") as codes:
        started = await gw.client.post("/identity/password/login", json={"username": username, "password": demo.PASSWORD})
        assert started.status_code == 200, started.text
        attempt = started.json()["attempt_id"]
        while (sent := json.loads((await codes.next()).body)["payload"])["attempt_id"] != attempt:
            pass
    tokens = await gw.client.post("/identity/password/code", json={"attempt_id": attempt, "code": sent["code"]})
    assert tokens.status_code == 200, tokens.text
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


@pytest.fixture(scope="module")
async def people(gw, test_env) -> dict[str, dict]:
    return {"coordinator": await password(gw, test_env, "demo.coordinator"),
            "representative": await password(gw, test_env, "demo.representative"),
            "aidcentre": await siths(gw, "demo.aidcentre"),
            "prescriber2": await siths(gw, "demo.prescriber2")}


def no(answer) -> None:
    assert answer.status_code == 403, answer.text


async def test_organisations(gw, people):
    coordinator, staff, prescriber2 = people["coordinator"], people["aidcentre"], people["prescriber2"]
    listed = {o["id"] for o in (await gw.client.get(D, headers=coordinator)).json()["items"]}
    assert CARE1 in listed and CARE2 not in listed
    no(await gw.client.get(f"{D}/{CARE2}", headers=coordinator))
    assert (await gw.client.get(f"{D}/{CARE1}", headers=coordinator)).status_code == 200
    unit1 = str(demo.demo_id("unit.1a"))
    no(await gw.client.patch(f"{D}/{unit1}", headers=prescriber2, json={"name": "Taken over"}))
    assert (await gw.client.patch(f"{D}/{unit1}", headers=staff, json={"active": True})).status_code == 200
    draft = {"kind": "service_unit", "parent_id": str(demo.demo_id("municipality.1")), "code": "EX-TEN", "name": "Ny enhet"}
    no(await gw.client.post(D, headers=prescriber2, json=draft))
    assert (await gw.client.post(D, headers=staff, json=draft)).status_code == 201


async def test_members(gw, people):
    coordinator = people["coordinator"]
    no(await gw.client.get(f"{D}/{CARE2}/members", headers=coordinator))
    assert (await gw.client.get(f"{D}/{CARE1}/members", headers=coordinator)).status_code == 200
    no(await gw.client.post(f"{D}/{CARE2}/members", headers=coordinator,
                            json={"account_id": person("demo.client3"), "role": "client"}))
    own = {"account_id": person("demo.client2"), "role": "client"}
    assert (await gw.client.post(f"{D}/{CARE1}/members", headers=coordinator, json=own)).status_code == 200
    no(await gw.client.delete(f"{D}/{CARE2}/members/{person('demo.client3')}/client", headers=coordinator))
    assert (await gw.client.delete(f"{D}/{CARE1}/members/{person('demo.client2')}/client", headers=coordinator)).status_code == 204
    assert (await gw.client.post(f"{D}/{CARE1}/members", headers=coordinator, json=own)).status_code == 201


async def test_representations(gw, people):
    coordinator = people["coordinator"]
    no(await gw.client.get(f"{D}/{CARE2}/representations", headers=coordinator))
    assert (await gw.client.get(f"{D}/{CARE1}/representations", headers=coordinator)).status_code == 200
    theirs = {"representative_id": person("demo.representative2"), "client_id": person("demo.client3")}
    own = {"representative_id": person("demo.representative"), "client_id": person("demo.client")}
    no(await gw.client.post(f"{D}/{CARE2}/representations", headers=coordinator, json=theirs))
    assert (await gw.client.post(f"{D}/{CARE1}/representations", headers=coordinator, json=own)).status_code == 200
    no(await gw.client.delete(f"{D}/{CARE2}/representations/{theirs['representative_id']}/{theirs['client_id']}",
                              headers=coordinator))
    assert (await gw.client.delete(f"{D}/{CARE1}/representations/{own['representative_id']}/{own['client_id']}",
                                   headers=coordinator)).status_code == 204
    assert (await gw.client.post(f"{D}/{CARE1}/representations", headers=coordinator, json=own)).status_code == 201


async def test_accounts_and_act_for(gw, people):
    coordinator, representative = people["coordinator"], people["representative"]
    account = {"display_name": "Test Tenancy", "roles": ["client"], "username": f"ten.{uuid.uuid4().hex[:6]}"}
    no(await gw.client.post("/identity/accounts", headers=coordinator, json={**account, "organisation_id": CARE2}))
    assert (await gw.client.post("/identity/accounts", headers=coordinator,
                                 json={**account, "organisation_id": CARE1})).status_code == 201
    no(await gw.client.post("/identity/act-for", headers=representative, json={"client_id": person("demo.client3")}))
    assert (await gw.client.post("/identity/act-for", headers=representative,
                                 json={"client_id": person("demo.client")})).status_code == 200
