"""The portal's part of the tenancy matrix (issue #18): every route of the portal's OpenAPI document is listed
in ``ROUTES``; for each "matrix" route, people of one care organisation (coordinator, client, representative
acting for a client) signed in through the gateway are refused the other organisation's records, with the same
answer as for an id nobody has, and served their own. Both directions: Zorgveld (1) against Rivierzorg (2).

Organisations and memberships are the gateway's: kit.demo's cast from its own seed, newcomers made through its
API by their organisation's coordinator (``portal.testing.GatewayDirectory``); the records are the portal's
demo seed (``portal.demo``)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest

from gateway.app import build as build_gateway
from gateway.seed import seed_demo
from gateway.settings import Settings as GatewaySettings
from kit.db import Database
from kit.demo import BY_KEY, BY_USERNAME, demo_id
from kit.testing import free_port, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from notify.app import build as build_notify
from notify.settings import Settings as NotifySettings
from portal import demo
from portal.app import build as build_portal
from portal.settings import Settings as PortalSettings
from portal.testing import GatewayDirectory, act_for, bearer, sign_in

KEY = TokenIssuer()  # the gateway's signing key pair (no token is minted here)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

#: every route of the portal's OpenAPI document: "matrix" (scoped to the caller's organisation, tested below),
#: "public" (no one's records: health, the list of measurement types) or "own-account" (the caller's own token)
ROUTES = {
    "GET /health/live": "public",
    "GET /health/ready": "public",
    "GET /whoami": "own-account",
    "GET /measurement-types": "public",
    "POST /clients": "matrix",
    "GET /clients": "matrix",
    "GET /clients/{client_id}/profile": "matrix",
    "GET /clients/{client_id}/reports": "matrix",
    "POST /clients/{client_id}/reports": "matrix",
    "GET /clients/{client_id}/plans": "matrix",
    "POST /clients/{client_id}/plans": "matrix",
    "GET /clients/{client_id}/plans/{plan_id}.pdf": "matrix",
    "POST /clients/{client_id}/plans/{plan_id}/approve": "matrix",
    "GET /clients/{client_id}/appointments": "matrix",
    "POST /clients/{client_id}/appointments": "matrix",
    "GET /clients/{client_id}/measurements": "matrix",
    "POST /clients/{client_id}/measurements": "matrix",
    "GET /admin/audit": "matrix",
    "GET /admin/audit/verify": "matrix",
}

#: per organisation: its coordinator, a client, its representative and the client they act for in the test
SIDES = {
    1: {"organisation": BY_KEY["care.1"], "coordinator": "demo.coordinator", "client": "demo.client",
        "representative": "demo.representative"},
    2: {"organisation": BY_KEY["care.2"], "coordinator": "demo.coordinator2", "client": "demo.client3",
        "representative": "demo.representative2"},
}
#: each side's support plan that awaits approval (portal.demo): demo.client's second, demo.client3's first
AWAITING = {1: demo_id("portal.plan.demo.client.2"), 2: demo_id("portal.plan.demo.client3.1")}


def test_every_route_of_the_portal_is_listed():
    app = build_portal(PortalSettings(environment="development")).create_app()
    found = {f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items() for method in item}
    assert found == set(ROUTES), f"unlisted: {sorted(found - set(ROUTES))}; gone: {sorted(set(ROUTES) - found)}"
    assert set(ROUTES.values()) <= {"matrix", "public", "own-account"}


@pytest.fixture(scope="module")
async def people(test_env):
    """The platform with the demo organisations and records; everyone of both sides signed in."""
    gateway_port, portal_port = free_port(), free_port()
    portal = test_env.settings(PortalSettings, database="portal_tenancy", http_port=portal_port,
                               jwt_public_key=KEY.public_pem)
    notify = test_env.settings(NotifySettings, database="notify_tenancy", smtp_port=free_port(),
                               sender_poll_interval_s=0.1)
    gateway = test_env.settings(GatewaySettings, database="gateway_tenancy", http_port=gateway_port,
                                signing_key_pem=KEY.private_pem, services={"portal": f"http://127.0.0.1:{portal_port}"},
                                codes_per_ip_per_10_min=1000, codes_per_account_per_10_min=100)
    async with running_service(build_portal(portal), test_env, http=True), \
            running_service(build_notify(notify), test_env) as notify_service, \
            running_service(build_gateway(gateway), test_env, http=True) as gw:
        async with gw.app.state.db.transaction() as session:  # kit.demo's cast, as `make run` seeds it
            await seed_demo(session, gateway)
        directory = GatewayDirectory(gw.client, notify_service.client)
        db = Database(portal.database_url, pool_size=1)
        async with db.transaction() as session:
            await demo.load(session)
        await db.dispose()
        signed: dict = {"gw": gw, "directory": directory}
        for side, who in SIDES.items():
            for role in ("coordinator", "client"):
                signed[(side, role)] = bearer(await sign_in(gw.client, notify_service.client, who[role]))
            tokens = await sign_in(gw.client, notify_service.client, who["representative"])
            acting = await act_for(gw.client, tokens, BY_USERNAME[who["client"]].id)
            assert acting.status_code == 200, acting.text
            signed[(side, "representative")] = bearer(acting.json())
        signed["admin"] = bearer(await sign_in(gw.client, notify_service.client, "demo.admin"))

        async def ready():  # the directory copy has every side's memberships
            answers = [await gw.client.get(f"/api/portal/clients/{BY_USERNAME[who['client']].id}/profile",
                                           headers=signed[(side, role)])
                       for side, who in SIDES.items() for role in ("coordinator", "client", "representative")]
            return all(a.status_code == 200 for a in answers)

        await wait_for(ready, timeout=20, what="the portal's copy of the directory")
        yield signed


def client_of(side: int) -> uuid.UUID:
    return BY_USERNAME[SIDES[side]["client"]].id


def same_answer(refused, missing) -> bool:
    """Another organisation's record and a missing one answered alike, ids and correlation aside."""
    def strip(response) -> tuple:
        body = dict(response.json())
        body.pop("correlation_id", None)
        return response.status_code, re.sub(r"[0-9a-f-]{36}", "<id>", str(body))

    return strip(refused) == strip(missing)


#: the client-record routes: (method, path under /clients/{id}, request keywords, the status the own record gets)
def _appointment() -> dict:
    start = datetime.now().astimezone() + timedelta(days=2)
    return {"json": {"title": "Afspraak", "starts_at": start.isoformat(),
                     "ends_at": (start + timedelta(hours=1)).isoformat()}}


RECORD_ROUTES = {
    "GET /clients/{client_id}/profile": ("GET", "profile", dict, 200, ("coordinator", "client", "representative")),
    "GET /clients/{client_id}/reports": ("GET", "reports", dict, 200, ("coordinator", "client", "representative")),
    "POST /clients/{client_id}/reports": ("POST", "reports", lambda: {"json": {"text": "Rapportage."}}, 201,
                                          ("coordinator", "client", "representative")),
    "GET /clients/{client_id}/plans": ("GET", "plans", dict, 200, ("coordinator", "client", "representative")),
    "POST /clients/{client_id}/plans": ("POST", "plans", lambda: {"params": {"title": "Plan"}, "content": PDF}, 201,
                                        ("coordinator",)),
    "GET /clients/{client_id}/appointments": ("GET", "appointments", dict, 200, ("coordinator", "client", "representative")),
    "POST /clients/{client_id}/appointments": ("POST", "appointments", _appointment, 201,
                                               ("coordinator", "client", "representative")),
    "GET /clients/{client_id}/measurements": ("GET", "measurements", dict, 200, ("coordinator", "client", "representative")),
    "POST /clients/{client_id}/measurements": ("POST", "measurements", lambda: {"json": {"type": "pain", "value": 3}}, 201,
                                               ("coordinator", "client", "representative")),
}


@pytest.mark.parametrize("route", sorted(RECORD_ROUTES))
async def test_a_client_record_route(people, route):
    gw = people["gw"]
    method, part, body, served, roles = RECORD_ROUTES[route]
    for side, other in ((1, 2), (2, 1)):
        for role in roles:
            headers = people[(side, role)]
            refused = await gw.client.request(method, f"/api/portal/clients/{client_of(other)}/{part}", headers=headers,
                                              **body())
            missing = await gw.client.request(method, f"/api/portal/clients/{uuid.uuid4()}/{part}", headers=headers,
                                              **body())
            assert refused.status_code == 404 and same_answer(refused, missing), (route, side, role, refused.text)
            own = await gw.client.request(method, f"/api/portal/clients/{client_of(side)}/{part}", headers=headers,
                                          **body())
            assert own.status_code == served, (route, side, role, own.text)


async def test_a_plan_pdf(people):
    gw = people["gw"]
    for side, other in ((1, 2), (2, 1)):
        for role in ("coordinator", "client", "representative"):
            headers = people[(side, role)]
            theirs = await gw.client.get(f"/api/portal/clients/{client_of(other)}/plans/{AWAITING[other]}.pdf",
                                         headers=headers)
            missing = await gw.client.get(f"/api/portal/clients/{uuid.uuid4()}/plans/{AWAITING[other]}.pdf",
                                          headers=headers)
            assert theirs.status_code == 404 and same_answer(theirs, missing), (side, role)
            # another organisation's plan under one's own client: not found either
            crossed = await gw.client.get(f"/api/portal/clients/{client_of(side)}/plans/{AWAITING[other]}.pdf",
                                          headers=headers)
            assert crossed.status_code == 404, (side, role)
            own = await gw.client.get(f"/api/portal/clients/{client_of(side)}/plans/{AWAITING[side]}.pdf", headers=headers)
            assert own.status_code == 200 and own.content.startswith(b"%PDF-"), (side, role)


async def test_approving_a_plan(people):
    gw = people["gw"]
    for side, other, approver in ((1, 2, "client"), (2, 1, "representative")):
        for role in ("coordinator", "client", "representative"):
            path = f"/api/portal/clients/{client_of(other)}/plans/{AWAITING[other]}/approve"
            refused = await gw.client.post(path, headers=people[(side, role)])
            missing = await gw.client.post(f"/api/portal/clients/{uuid.uuid4()}/plans/{AWAITING[other]}/approve",
                                           headers=people[(side, role)])
            assert refused.status_code == 404 and same_answer(refused, missing), (side, role)
        own = await gw.client.post(f"/api/portal/clients/{client_of(side)}/plans/{AWAITING[side]}/approve",
                                   headers=people[(side, approver)])
        assert own.status_code == 200 and own.json()["approved_at"], (side, own.text)


async def register_until(gw, headers: dict, body: dict, status: int):
    """POST /clients until it answers ``status`` (a granted membership reaches the portal's copy within a second)."""
    async def answered():
        answer = await gw.client.post("/api/portal/clients", headers=headers, json=body)
        return answer if answer.status_code == status else None

    return await wait_for(answered, timeout=15, interval=0.1, what=f"POST /clients answering {status}")


async def test_registering_a_client(people):
    gw, directory = people["gw"], people["directory"]
    for side, other in ((1, 2), (2, 1)):
        coordinator = people[(side, "coordinator")]
        # each coordinator makes a client account in their organisation (a client there, not yet recorded)
        newcomer = await directory.new_account(SIDES[side]["organisation"].id, "client", f"nieuw.{uuid.uuid4().hex[:8]}",
                                               f"+4670000{side}401")
        foreign = await directory.new_account(SIDES[other]["organisation"].id, "client", f"ander.{uuid.uuid4().hex[:8]}",
                                              f"+4670000{other}501")
        body = {"display_name": "Test Nieuw", "date_of_birth": "1960-01-01"}
        for account, organisation in ((foreign, SIDES[other]["organisation"]), (newcomer, SIDES[other]["organisation"])):
            crossing = await gw.client.post("/api/portal/clients", headers=coordinator,
                                            json={**body, "account_id": str(account), "organisation_id": str(organisation.id)})
            assert crossing.status_code == 403 and organisation.name in crossing.json()["detail"], crossing.text
        # a client of the other organisation is not recorded in one's own
        own_org = SIDES[side]["organisation"]

        refused = await register_until(gw, coordinator, {**body, "account_id": str(foreign),
                                                         "organisation_id": str(own_org.id)}, 403)
        assert own_org.name in refused.json()["detail"]
        for role in ("client", "representative"):  # only coordinators record clients
            assert (await gw.client.post("/api/portal/clients", headers=people[(side, role)],
                                         json={**body, "account_id": str(newcomer)})).status_code == 403

        recorded = await register_until(gw, coordinator, {**body, "account_id": str(newcomer)}, 201)
        assert recorded.json()["id"] == str(newcomer)


async def test_listing_clients(people):
    gw = people["gw"]
    organisation_clients = {side: {str(BY_USERNAME[c.username].id) for c in demo.CLIENTS
                                   if c.organisation == ("care.1" if side == 1 else "care.2")} for side in SIDES}
    for side, other in ((1, 2), (2, 1)):
        coordinator = people[(side, "coordinator")]
        listed = {c["id"] for c in (await gw.client.get("/api/portal/clients", headers=coordinator)).json()}
        assert organisation_clients[side] <= listed and not listed & organisation_clients[other]
        narrowed = await gw.client.get("/api/portal/clients", headers=coordinator,
                                       params={"organisation_id": str(SIDES[other]["organisation"].id)})
        assert narrowed.status_code == 403 and SIDES[other]["organisation"].name in narrowed.json()["detail"]
        for role in ("client", "representative"):
            listed = [c["id"] for c in (await gw.client.get("/api/portal/clients", headers=people[(side, role)])).json()]
            assert listed == [str(client_of(side))], (side, role)


@pytest.mark.parametrize("path", ["/api/portal/admin/audit", "/api/portal/admin/audit/verify"])
async def test_the_audit_is_for_admins(people, path):
    gw = people["gw"]
    for side in SIDES:
        for role in ("coordinator", "client", "representative"):
            assert (await gw.client.get(path, headers=people[(side, role)])).status_code == 403, (side, role)
    assert (await gw.client.get(path, headers=people["admin"])).status_code == 200
