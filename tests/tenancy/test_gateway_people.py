"""The tenancy matrix for the gateway's own routes, signed in on the whole platform as the demo cast (#18, GW-7,
GW-12): a coordinator makes and links accounts only within their care organisation, a representative acts
only for the clients they represent, an account reads only itself, the directory shows and changes only the
caller's organisations; the development simulator is never reached through the routing.

``ROUTES`` lists every route of the gateway's OpenAPI document, with the routes #19's identity work and the
directory add (``ARRIVING``, listed ahead of them). The directory work has a ``test_gateway.py`` of its own,
with in-process tests and the same listing: once it is there, its listing counts and this one gives way
(``DEFERS_TO``), so no route is listed twice; routes it lacks (the identity work's) stay listed here.
"""

from __future__ import annotations

import uuid

from people import ok, refused

from kit import demo

ROUTES = {
    "GET /.well-known/jwks.json": "public",
    "POST /identity/bankid/auth": "public",
    "GET /identity/bankid/qr/{order_ref}": "public",
    "POST /identity/bankid/collect": "public",
    "POST /identity/bankid/cancel": "public",
    "POST /identity/siths/login": "public",
    "POST /identity/password/login": "public",
    "POST /identity/password/code": "public",
    "POST /identity/email/login": "public",
    "POST /identity/register": "public",
    "POST /identity/password/change": "own-account",
    "POST /identity/terms/accept": "own-account",
    "GET /identity/me": "own-account",
    "POST /identity/act-for": "matrix",
    "POST /identity/token/refresh": "own-account",
    "POST /identity/logout": "own-account",
    "POST /identity/accounts": "matrix",
    "GET /identity/sessions/ended": "public",
    "POST /identity/dev/bankid/sign": "development",
    "POST /identity/dev/bankid/cancel": "development",
    # #19's identity work: forgotten password, email and phone, confirming a pre-made account on BankID
    "POST /identity/password/forgot": "public",
    "POST /identity/password/reset/check": "public",
    "POST /identity/password/reset": "public",
    "POST /identity/password/reset/code": "public",
    "POST /identity/me/email": "own-account",
    "POST /identity/me/phone": "own-account",
    "POST /identity/me/contact/confirm": "own-account",
    "POST /identity/contact/verify-link": "public",
    "POST /identity/bankid/confirm": "public",
    # #18's directory (GW-12): organisations, memberships, representations
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
#: The directory work's module lists the gateway's routes too: once it is merged, its listing counts, not this one
DEFERS_TO = "test_gateway.py"
#: Routes other work adds to the gateway (listed above ahead of it); the lead empties this at merge
ARRIVING = {route for route in ROUTES if route.split(" ", 1)[1].startswith(("/directory/", "/identity/password/forgot",
                                                                            "/identity/password/reset", "/identity/me/",
                                                                            "/identity/contact/", "/identity/bankid/confirm"))}

def test_a_representative_acts_for_their_own_clients_only(person):
    """POST /identity/act-for: own → served; another organisation's client, or one not represented → 403."""
    representative = person("demo.representative")
    own = [c["id"] for c in representative.me["represents"]]
    assert own, "demo.representative represents two clients"
    for client_id in own:
        assert representative.act_for(client_id).me["acting_for"] == client_id
    for other in (demo.demo_id("demo.client3"), demo.demo_id("demo.client4"), uuid.uuid4()):
        refused = representative.post("/identity/act-for", json={"client_id": str(other)})
        assert refused.status_code == 403, refused.text


def test_the_other_organisations_representative_is_refused_mine(person):
    theirs = person("demo.representative2")
    assert {c["id"] for c in theirs.me["represents"]} == {str(demo.demo_id("demo.client3")), str(demo.demo_id("demo.client4"))}
    for mine in ("demo.client", "demo.client2"):
        refused = theirs.post("/identity/act-for", json={"client_id": str(demo.demo_id(mine))})
        assert refused.status_code == 403


def test_a_coordinator_links_a_representative_only_within_their_organisation(person):
    """POST /identity/accounts: a representative of the own organisation's client → 201; of the other
    organisation's client → 403 naming the organisation, and nothing is made."""
    coordinator = person("demo.coordinator")
    suffix = uuid.uuid4().hex[:6]

    def representative_of(client: str, username: str):
        return coordinator.post("/identity/accounts", json={
            "display_name": f"Test Vertegenwoordiger {suffix}", "roles": ["representative"], "language": "nl",
            "email": f"{username}@example.org", "phone": "+46700009876", "username": username,
            "represents": [str(demo.demo_id(client))], "organisation_id": str(demo.BY_KEY["care.1"].id)})

    own = representative_of("demo.client", f"rep.own.{suffix}")
    assert own.status_code == 201, own.text
    crossing = representative_of("demo.client3", f"rep.cross.{suffix}")
    assert crossing.status_code == 403
    assert demo.BY_KEY["care.2"].name in crossing.json()["detail"] or "organisation" in crossing.json()["detail"]
    again = representative_of("demo.client", f"rep.cross.{suffix}")  # the refused username was not taken
    assert again.status_code == 201, again.text


def test_a_coordinator_cannot_make_staff_or_admins(person):
    coordinator = person("demo.coordinator")
    for roles in (["admin"], ["prescriber"], ["aid_centre_staff"], ["therapist"]):
        refused = coordinator.post("/identity/accounts", json={"display_name": "Test Fel", "roles": roles})
        assert refused.status_code == 403, roles


D = "/directory/organisations"
def test_the_directory_lists_only_the_callers_organisations(person):
    """GET /directory/organisations and one organisation: a coordinator sees care.1, not care.2."""
    coordinator = person("demo.coordinator")
    listed = ok(coordinator.get(D))
    ids = {o["id"] for o in (listed["items"] if isinstance(listed, dict) else listed)}
    assert str(demo.BY_KEY["care.1"].id) in ids and str(demo.BY_KEY["care.2"].id) not in ids
    assert ok(coordinator.get(f"{D}/{demo.BY_KEY['care.1'].id}"))["code"] == demo.BY_KEY["care.1"].code
    refused(coordinator.get(f"{D}/{demo.BY_KEY['care.2'].id}"))
    refused(coordinator.get(f"{D}/{demo.BY_KEY['care.2'].id}/members"))
    refused(coordinator.get(f"{D}/{demo.BY_KEY['care.2'].id}/representations"))
    refused(coordinator.patch(f"{D}/{demo.BY_KEY['care.2'].id}", json={"name": "Overgenomen"}))


def test_staff_grant_within_their_organisations_only(person):
    """POST/DELETE members: aid-centre staff grant a prescriber a service unit of the region; a coordinator
    cannot grant in another care organisation (403 naming it), and nothing is half-written."""
    staff = person("demo.aidcentre")
    unit = demo.BY_KEY["unit.2a"].id
    prescriber = demo.demo_id("demo.prescriber")
    granted = staff.post(f"{D}/{unit}/members", json={"account_id": str(prescriber), "role": "prescriber"})
    assert granted.status_code == 201, granted.text
    members = ok(staff.get(f"{D}/{unit}/members"))
    assert str(prescriber) in str(members)
    ok(staff.delete(f"{D}/{unit}/members/{prescriber}/prescriber"), 204)

    coordinator = person("demo.coordinator")
    crossing = coordinator.post(f"{D}/{demo.BY_KEY['care.2'].id}/members",
                                json={"account_id": str(demo.demo_id("demo.client")), "role": "client"})
    problem = refused(crossing, 403)
    assert demo.BY_KEY["care.2"].name in problem["detail"] or str(demo.BY_KEY["care.2"].id) in problem["detail"]
    link = coordinator.post(f"{D}/{demo.BY_KEY['care.1'].id}/representations", json={
        "representative_id": str(demo.demo_id("demo.representative")), "client_id": str(demo.demo_id("demo.client3"))})
    refused(link, 403)
    refused(coordinator.post(D, json={"kind": "region", "code": "XX", "name": "Egen region"}), 403)


def test_only_admins_make_top_level_organisations(person):
    admin = person("demo.admin")
    made = ok(admin.post(D, json={"kind": "clinic", "code": f"T{uuid.uuid4().hex[:5]}", "name": "Testklinikken",
                                  "time_zone": "Europe/Oslo"}), 201)
    assert made["kind"] == "clinic"
    refused(person("demo.practitioner").patch(f"{D}/{made['id']}", json={"name": "Min klinikk"}), 403)


def test_an_account_reads_only_itself(person):
    for username in ("demo.prescriber", "demo.coordinator"):
        me = ok(person(username).get("/identity/me"))
        assert me["display_name"] == demo.BY_USERNAME[username].display_name


def test_the_simulator_and_the_sinks_are_never_reached_through_the_routing(person):
    someone = person("demo.prescriber")
    for path in ("/api/notify/dev/sms", "/api/notify/dev/mail", "/api/gateway/identity/dev/bankid/sign"):
        assert someone.get(path).status_code == 404, path
