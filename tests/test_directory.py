"""The gateway's directory and its access checks (issue #18) through the real gateway, signed in as kit.demo's
people the way they sign in (SITHS development certificate, password + SMS code, email and password): who
grants what where, cross-organisation grants, links and accounts refused with a 403 that names the
organisation, act-for only within a care organisation, and nothing half-written after a refusal."""

from __future__ import annotations

import json
import uuid

import pytest

from contracts.booking.v1 import TherapistApplicationRejected, TherapistAuthorised
from gateway.app import build as build_gateway
from gateway.devca import ca_for_tests, siths_headers
from gateway.identity.models import Account
from gateway.seed import seed_demo
from gateway.settings import Settings as GatewaySettings
from kit import demo
from kit.testing import free_port, probe, publish, running_service, wait_for

D = "/directory/organisations"


def org(key: str) -> str:
    return str(demo.demo_id(key))


def person(username: str) -> str:
    return str(demo.demo_id(username))


@pytest.fixture(scope="module")
async def gw(test_env):
    """A gateway with kit.demo's cast, as `make run` seeds it, trusting the test SITHS CA behind a proxy."""
    settings = test_env.settings(GatewaySettings, database="gateway_directory", http_port=free_port(), services={},
                                 trusted_proxies=["127.0.0.1"], siths_ca_bundle=ca_for_tests().pem)
    async with running_service(build_gateway(settings), test_env, http=True) as gateway:
        async with gateway.app.state.db.transaction() as session:  # an earlier seed's admin, under another id
            session.add(Account(id=uuid.uuid4(), display_name="Demo Admin", roles=["admin"], username="demo.admin",
                                email="demo.admin@example.org"))
        async with gateway.app.state.db.transaction() as session:
            await seed_demo(session, settings)
        yield gateway


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def siths(gw, username: str) -> dict:
    """A SITHS login with the person's card (a development certificate with their HSA-ID)."""
    someone = demo.BY_USERNAME[username]
    login = await gw.client.post("/identity/siths/login", headers=siths_headers(someone.hsa_id, someone.display_name))
    assert login.status_code == 200, login.text
    return bearer(login.json())


async def password(gw, test_env, username: str, secret: str = demo.PASSWORD) -> dict:
    """Password, then the SMS code the person receives."""
    async with probe(test_env, "gateway.login_code_requested.v1") as codes:
        started = await gw.client.post("/identity/password/login", json={"username": username, "password": secret})
        assert started.status_code == 200, started.text
        attempt = started.json()["attempt_id"]
        while (sent := json.loads((await codes.next()).body)["payload"])["attempt_id"] != attempt:
            pass
    tokens = await gw.client.post("/identity/password/code", json={"attempt_id": attempt, "code": sent["code"]})
    assert tokens.status_code == 200, tokens.text
    return bearer(tokens.json())


async def members(gw, headers: dict, organisation: str) -> list[tuple[str, str]]:
    answer = await gw.client.get(f"{D}/{organisation}/members", headers=headers, params={"limit": 200})
    assert answer.status_code == 200, answer.text
    return sorted((m["account_id"], m["role"]) for m in answer.json()["items"])


def refused(answer, organisation: str) -> None:
    """A 403 problem that names the organisation."""
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert body["type"] == "/problems/outside-your-organisations" and body["organisation_id"] == organisation
    assert organisation in body["detail"]


async def test_every_demo_person_is_there_with_their_memberships(gw, test_env):
    admin = await password(gw, test_env, "demo.admin")  # the demo id, although an earlier seed had the username
    assert (await gw.client.get("/identity/me", headers=admin)).json()["id"] == person("demo.admin")
    listed = (await gw.client.get(D, headers=admin, params={"limit": 200})).json()
    assert {o["id"] for o in listed["items"]} >= {str(o.id) for o in demo.ORGANISATIONS}
    prescriber = await siths(gw, "demo.prescriber")
    me = (await gw.client.get("/identity/me", headers=prescriber)).json()
    assert me["id"] == person("demo.prescriber")
    assert sorted((m["organisation_id"], m["role"]) for m in me["memberships"]) == sorted(
        (org(key), role) for key, role in demo.BY_USERNAME["demo.prescriber"].memberships)
    # others see the organisations where they hold a role, and those below
    mine = (await gw.client.get(D, headers=await siths(gw, "demo.controller2"), params={"limit": 200})).json()
    assert {o["id"] for o in mine["items"]} == {org("municipality.2"), org("unit.2a"), org("unit.2b"), org("store.2")}
    assert (await gw.client.get(f"{D}/{org('municipality.1')}", headers=prescriber)).status_code == 403
    async with gw.app.state.db.transaction() as session:  # the seed again: nothing new
        assert await seed_demo(session, gw.settings) == (0, 0, 0)


async def test_aid_centre_staff_grant_in_their_region_only(gw, test_env):
    staff, admin = await siths(gw, "demo.aidcentre"), await password(gw, test_env, "demo.admin")
    async with probe(test_env, "gateway.organisation_saved.v1") as events:
        unit = await gw.client.post(D, headers=staff, json={"kind": "service_unit", "parent_id": org("municipality.1"),
                                                            "code": "EX-DAG", "name": "Exempelkommunen dagverksamhet"})
        assert unit.status_code == 201, unit.text
        saved = json.loads((await events.next()).body)["payload"]
    assert saved["organisation_id"] == unit.json()["id"] and saved["parent_id"] == org("municipality.1")
    unit_id = unit.json()["id"]
    grant = {"account_id": person("demo.prescriber"), "role": "prescriber"}
    async with probe(test_env, "gateway.membership_granted.v1") as events:
        granted = await gw.client.post(f"{D}/{unit_id}/members", headers=staff, json=grant)
        assert granted.status_code == 201 and granted.json()["display_name"] == "Demo Förskrivare"
        event = json.loads((await events.next()).body)["payload"]
    assert {k: event[k] for k in ("account_id", "organisation_id", "role", "granted_by")} == {
        **grant, "organisation_id": unit_id, "granted_by": person("demo.aidcentre")}
    assert "Förskrivare" not in json.dumps(event)  # ids only
    assert (await gw.client.post(f"{D}/{unit_id}/members", headers=staff, json=grant)).status_code == 200
    assert await members(gw, staff, unit_id) == [(person("demo.prescriber"), "prescriber")]

    # a municipality of another region: admins make it; the region's staff are refused there, naming it
    region = (await gw.client.post(D, headers=admin, json={"kind": "region", "code": "97", "name": "Region Annanstans"})).json()
    municipality = (await gw.client.post(D, headers=admin, json={"kind": "municipality", "parent_id": region["id"],
                                                                  "code": "9701", "name": "Annanstans kommun"})).json()
    far = (await gw.client.post(D, headers=admin, json={"kind": "service_unit", "parent_id": municipality["id"],
                                                         "code": "AN-HSV", "name": "Annanstans hemsjukvård"})).json()
    refused(await gw.client.post(f"{D}/{far['id']}/members", headers=staff, json=grant), far["id"])
    refused(await gw.client.post(D, headers=staff, json={"kind": "buffer_store", "parent_id": municipality["id"],
                                                         "code": "K9701", "name": "Annanstans förråd"}), municipality["id"])
    nowhere = str(uuid.uuid4())  # an organisation that does not exist: the same answer
    refused(await gw.client.post(f"{D}/{nowhere}/members", headers=staff, json=grant), nowhere)
    assert (await gw.client.post(f"{D}/{nowhere}/members", headers=admin, json=grant)).status_code == 404  # admins act anywhere
    assert await members(gw, admin, far["id"]) == []
    codes = {o["code"] for o in (await gw.client.get(D, headers=admin, params={"kind": "buffer_store"})).json()["items"]}
    assert "K9701" not in codes

    # in their region: an unknown account is a 404, a role in the wrong kind or for the wrong account a refusal
    unknown = await gw.client.post(f"{D}/{unit_id}/members", headers=staff, json={"account_id": str(uuid.uuid4()),
                                                                                  "role": "prescriber"})
    assert unknown.status_code == 404
    wrong_kind = await gw.client.post(f"{D}/{org('municipality.1')}/members", headers=staff, json=grant)
    assert wrong_kind.status_code == 422 and "service_unit" in wrong_kind.json()["detail"]
    not_a_prescriber = await gw.client.post(f"{D}/{unit_id}/members", headers=staff,
                                            json={"account_id": person("demo.client"), "role": "prescriber"})
    assert not_a_prescriber.status_code == 409
    not_theirs = await gw.client.post(f"{D}/{org('care.1')}/members", headers=staff,
                                      json={"account_id": person("demo.client3"), "role": "client"})
    assert not_theirs.status_code == 403
    async with probe(test_env, "gateway.membership_revoked.v1") as events:
        assert (await gw.client.delete(f"{D}/{unit_id}/members/{person('demo.prescriber')}/prescriber",
                                       headers=staff)).status_code == 204
        assert json.loads((await events.next()).body)["payload"]["organisation_id"] == unit_id
    assert await members(gw, staff, unit_id) == []


async def test_a_coordinator_works_in_their_own_care_organisation_only(gw, test_env):
    coordinator, admin = await password(gw, test_env, "demo.coordinator"), await password(gw, test_env, "demo.admin")
    care1, care2 = org("care.1"), org("care.2")
    before = {care1: await members(gw, admin, care1), care2: await members(gw, admin, care2)}
    links_before = (await gw.client.get(f"{D}/{care1}/representations", headers=coordinator)).json()

    refused(await gw.client.post(f"{D}/{care2}/members", headers=coordinator,
                                 json={"account_id": person("demo.client"), "role": "client"}), care2)
    refused(await gw.client.post(f"{D}/{care1}/representations", headers=coordinator, json={
        "representative_id": person("demo.representative"), "client_id": person("demo.client3")}), care1)
    refused(await gw.client.post(f"{D}/{care2}/representations", headers=coordinator, json={
        "representative_id": person("demo.representative2"), "client_id": person("demo.client3")}), care2)
    username = f"nieuw.{uuid.uuid4().hex[:6]}"
    account = {"display_name": "Test Nieuwe Cliënt", "roles": ["client"], "email": f"{username}@example.org",
               "phone": "+46700000320", "username": username, "language": "nl"}
    refused(await gw.client.post("/identity/accounts", headers=coordinator, json={**account, "organisation_id": care2}), care2)
    representative = {**account, "roles": ["representative"], "organisation_id": care1, "represents": [person("demo.client3")]}
    refused(await gw.client.post("/identity/accounts", headers=coordinator, json=representative), care1)
    assert (await gw.client.post("/identity/accounts", headers=coordinator, json=account)).status_code == 422  # where?
    assert (await gw.client.post("/identity/accounts", headers=coordinator,
                                 json={**account, "roles": ["prescriber"], "organisation_id": care1})).status_code == 403
    # nothing half-written: the lists are as they were
    assert {care1: await members(gw, admin, care1), care2: await members(gw, admin, care2)} == before
    assert (await gw.client.get(f"{D}/{care1}/representations", headers=coordinator)).json() == links_before

    # in their own organisation: the account is made and becomes a member (the same username: nothing was kept)
    made = await gw.client.post("/identity/accounts", headers=coordinator, json={**account, "organisation_id": care1})
    assert made.status_code == 201, made.text
    client_id = made.json()["id"]
    assert await members(gw, coordinator, care1) == sorted([*before[care1], (client_id, "client")])
    link = {"representative_id": person("demo.representative"), "client_id": client_id}
    assert (await gw.client.post(f"{D}/{care1}/representations", headers=coordinator, json=link)).status_code == 201
    assert {**link, "organisation_id": care1} in (await gw.client.get(f"{D}/{care1}/representations", headers=coordinator)).json()
    assert (await gw.client.delete(f"{D}/{care1}/representations/{link['representative_id']}/{client_id}",
                                   headers=coordinator)).status_code == 204
    refused(await gw.client.get(f"{D}/{care2}/members", headers=coordinator), care2)
    me = (await gw.client.get("/identity/me", headers=coordinator)).json()
    assert me["memberships"] == [{"organisation_id": care1, "kind": "care_organisation", "name": "Zorgveld Begeleiding",
                                  "role": "care_coordinator"}]


async def test_act_for_only_a_linked_client_of_the_same_care_organisation(gw, test_env):
    representative = await password(gw, test_env, "demo.representative")
    me = (await gw.client.get("/identity/me", headers=representative)).json()
    assert sorted(c["id"] for c in me["represents"]) == sorted([person("demo.client"), person("demo.client2")])
    acting = await gw.client.post("/identity/act-for", headers=representative, json={"client_id": person("demo.client")})
    assert acting.status_code == 200
    answers = []
    for client in (person("demo.client3"), str(uuid.uuid4())):  # another organisation's client, and nobody
        answer = await gw.client.post("/identity/act-for", headers=representative, json={"client_id": client})
        answers.append((answer.status_code, answer.json()["type"], answer.json()["detail"]))
    assert answers[0] == answers[1] and answers[0][0] == 403
    coordinator = await password(gw, test_env, "demo.coordinator2")  # not a representative
    answer = await gw.client.post("/identity/act-for", headers=coordinator, json={"client_id": person("demo.client3")})
    assert answer.status_code == 403


async def test_a_self_registered_therapist_makes_clients_only_once_authorised(gw, test_env):
    email, secret = f"terapeut.{uuid.uuid4().hex[:6]}@example.org", "Egen-Terapeut-Lösen-77"
    registered = await gw.client.post("/identity/register", json={"display_name": "Test Ny Terapeut", "email": email,
                                                                  "password": secret})
    assert registered.status_code == 202
    tokens = (await gw.client.post("/identity/email/login", json={"email": email, "password": secret})).json()
    if tokens["scope"] == "limited":
        tokens = (await gw.client.post("/identity/terms/accept", headers=bearer(tokens),
                                       json={"version": gw.settings.terms_version})).json()
    me = bearer(tokens)
    therapist_id = (await gw.client.get("/identity/me", headers=me)).json()["id"]
    client = {"display_name": "Test Klient Tidig", "roles": ["client"], "personal_number": "19800101-0019"}
    early = await gw.client.post("/identity/accounts", headers=me, json=client)
    assert early.status_code == 403 and early.json()["type"] == "/problems/therapist-not-authorised"
    # nothing was kept: the same personal number makes an account once the therapist is authorised
    await publish(test_env, TherapistAuthorised(therapist_id=uuid.UUID(therapist_id)))

    async def made():
        answer = await gw.client.post("/identity/accounts", headers=me, json=client)
        return answer if answer.status_code == 201 else None

    created = await wait_for(made, what="the gateway to learn that booking authorised the therapist")
    async with probe(test_env, "gateway.registration_attempted.v1") as attempted:  # now a second time: its owner hears
        await gw.client.post("/identity/accounts", headers=me, json=client)
        assert json.loads((await attempted.next()).body)["payload"]["account_id"] == created.json()["id"]
    await publish(test_env, TherapistApplicationRejected(therapist_id=uuid.UUID(therapist_id), reason="test"))

    async def refused_again():
        answer = await gw.client.post("/identity/accounts", headers=me, json=client)
        return answer.status_code == 403

    await wait_for(refused_again, what="the rejection to take effect")


async def bankid(gw, personal_number: str, name: str) -> dict:
    """BankID with the simulator playing the person's app."""
    ref = (await gw.client.post("/identity/bankid/auth")).json()["order_ref"]
    signed = await gw.client.post("/identity/dev/bankid/sign", json={"order_ref": ref, "personal_number": personal_number,
                                                                     "name": name})
    assert signed.status_code == 204
    done = (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()
    assert done["status"] == "complete", done
    return bearer(done["tokens"])


async def test_every_demo_person_signs_in_the_way_kit_demo_says(gw, test_env):
    for someone in demo.PEOPLE:
        if someone.sign_in == demo.SITHS:
            headers = await siths(gw, someone.username)
        elif someone.sign_in.startswith(demo.BANKID):
            headers = await bankid(gw, someone.personal_number, someone.display_name)
        elif someone.sign_in == "email + password":
            login = await gw.client.post("/identity/email/login", json={"email": someone.email, "password": demo.PASSWORD})
            assert login.status_code == 200, (someone.username, login.text)
            headers = bearer(login.json())
        else:
            assert "password + SMS code" in someone.sign_in and someone.phone, someone.username
            headers = await password(gw, test_env, someone.username)
        me = (await gw.client.get("/identity/me", headers=headers)).json()
        assert me["id"] == person(someone.username) and me["terms_required"] is None, someone.username
        assert sorted((m["organisation_id"], m["role"]) for m in me["memberships"]) == sorted(
            (org(key), role) for key, role in someone.memberships), someone.username
