"""Every login path of the gateway start to finish, sessions and token attacks, with the real gateway,
database and broker, and a service (portal) verifying the gateway's tokens through its JWKS."""

from __future__ import annotations

import json
import re
import ssl
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from contracts.booking.v1 import TherapistAuthorised
from gateway.app import build as build_gateway
from gateway.devca import DevelopmentCa, ca_for_tests, siths_headers
from gateway.seed import seed_demo
from gateway.settings import Settings as GatewaySettings
from kit import demo
from kit.testing import fetch, free_port, probe, publish, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from portal.app import build as build_portal
from portal.settings import Settings as PortalSettings

KEY = TokenIssuer()  # the gateway under test signs with this key (tests of foreign keys use another)
PERSONAL_NUMBER = "19121212-1212"


@pytest.fixture(scope="module")
def siths_files(tmp_path_factory):
    """The test CA's files for the gateway's mutual-TLS port, as `make run` writes var/siths/."""
    directory = tmp_path_factory.mktemp("siths")
    (directory / "ca.pem").write_text(ca_for_tests().pem)
    ca_for_tests().issue_server().write(directory / "gateway.pem", directory / "gateway-key.pem")
    return directory


@pytest.fixture(scope="module")
async def gw(test_env, siths_files):
    gateway_port, portal_port = free_port(), free_port()
    portal_settings = test_env.settings(PortalSettings, http_port=portal_port, jwt_public_key="",
                                        jwt_jwks_url=f"http://127.0.0.1:{gateway_port}/.well-known/jwks.json")
    # the test plays the TLS-terminating proxy (127.0.0.1) that forwards SITHS certificates of the test CA
    gateway_settings = test_env.settings(GatewaySettings, http_port=gateway_port, signing_key_pem=KEY.private_pem,
                                         services={"portal": f"http://127.0.0.1:{portal_port}"},
                                         trusted_proxies=["127.0.0.1"], siths_ca_bundle=str(siths_files / "ca.pem"),
                                         mtls_port=free_port(), mtls_certfile=str(siths_files / "gateway.pem"),
                                         mtls_keyfile=str(siths_files / "gateway-key.pem"))
    async with running_service(build_gateway(gateway_settings), test_env, http=True) as gateway, \
            running_service(build_portal(portal_settings), test_env, http=True):
        yield gateway


@pytest.fixture(scope="module")
async def admin(gw, test_env) -> dict:
    """The demo admin, as `make run` seeds the cast, signed in with password and the SMS code."""
    async with gw.app.state.db.transaction() as session:
        await seed_demo(session, gw.settings)
    return bearer(await code_login(gw, test_env, "demo.admin", demo.PASSWORD))


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def whoami(gw, tokens: dict) -> dict:
    response = await gw.client.get("/api/portal/whoami", headers=bearer(tokens))
    return {"status": response.status_code, **(response.json() if response.headers.get("content-type", "").startswith("application/") else {})}


async def bankid_login(gw, personal_number: str, name: str) -> dict:
    started = (await gw.client.post("/identity/bankid/auth")).json()
    ref = started["order_ref"]
    pending = (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()
    assert pending == {"status": "pending", "hint_code": "outstandingTransaction", "name": None, "tokens": None,
                       "step": None, "confirm_account": None}
    assert (await gw.client.post("/identity/dev/bankid/sign", json={"order_ref": ref, "personal_number": personal_number,
                                                                   "name": name})).status_code == 204
    done = (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()
    assert done["status"] == "complete" and done["name"] == name
    again = (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()
    assert again["hint_code"] == "alreadyCollected"
    if done["step"] == "confirm-account":  # the first login into an account someone made: the person confirms it
        done["tokens"] = (await gw.client.post("/identity/bankid/confirm", json={
            "confirm_token": done["confirm_account"]["confirm_token"], "confirm": True})).json()
    tokens = done["tokens"]
    if tokens["scope"] == "limited":  # terms of use are accepted once, before first use (GW-5)
        tokens = (await gw.client.post("/identity/terms/accept", headers=bearer(tokens),
                                       json={"version": gw.settings.terms_version})).json()
    assert tokens["scope"] == "full"
    return tokens


async def test_bankid_login_start_to_finish(gw):
    started = (await gw.client.post("/identity/bankid/auth")).json()
    assert re.fullmatch(r"bankid\.[0-9a-f-]{36}\.\d+\.[0-9a-f]{64}", started["qr"])
    tokens = await bankid_login(gw, "19900101-0017", "Test Bankid")
    seen = await whoami(gw, tokens)
    assert seen["status"] == 200 and seen["roles"] == ["client"]
    audit = await fetch(gw.settings, "SELECT event, method, detail FROM login_audit WHERE account_id = $1",
                        uuid.UUID(seen["account_id"]))
    assert ("login_succeeded", "bankid") in [(a["event"], a["method"]) for a in audit]
    dump = await fetch(gw.settings, "SELECT * FROM accounts WHERE id = $1", uuid.UUID(seen["account_id"]))
    assert "199001010017" not in json.dumps([dict(r) for r in dump], default=str)  # only a hash and a masked form


async def test_bankid_cancel_expiry_and_bad_input(gw):
    ref = (await gw.client.post("/identity/bankid/auth")).json()["order_ref"]
    await gw.client.post("/identity/dev/bankid/cancel", json={"order_ref": ref})
    assert (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()["hint_code"] == "userCancel"

    ref = (await gw.client.post("/identity/bankid/auth")).json()["order_ref"]
    async with gw.app.state.db.transaction() as session:
        late = datetime.now(UTC) + timedelta(seconds=gw.settings.bankid_order_ttl_s + 1)
        expired = await gw.app.state.bankid.collect(session, uuid.UUID(ref), now=late)
    assert expired == {"orderRef": ref, "status": "failed", "hintCode": "expiredTransaction"}

    unknown = await gw.client.post("/identity/bankid/collect", json={"order_ref": str(uuid.uuid4())})
    assert unknown.status_code == 400 and unknown.json()["type"] == "/problems/bankid-invalid-parameters"
    ref = (await gw.client.post("/identity/bankid/auth")).json()["order_ref"]
    malformed = await gw.client.post("/identity/dev/bankid/sign", json={"order_ref": ref, "personal_number": "19121212-1213",
                                                                       "name": "X"})
    assert malformed.status_code == 422 and "check digit" in malformed.json()["detail"]


async def test_an_account_a_therapist_made_is_linked_on_the_first_bankid_login_once_confirmed(gw, test_env):
    therapist_id = uuid.uuid4()
    therapist = KEY.headers(therapist_id, "therapist")
    client = {"display_name": "Test Klient Länkad", "roles": ["client"], "personal_number": PERSONAL_NUMBER,
              "email": "linked.client@example.org", "phone": "+46700000200"}
    early = await gw.client.post("/identity/accounts", headers=therapist, json=client)
    assert early.status_code == 403 and early.json()["type"] == "/problems/therapist-not-authorised"
    await publish(test_env, TherapistAuthorised(therapist_id=therapist_id))  # booking authorised the therapist

    async def create():
        answer = await gw.client.post("/identity/accounts", headers=therapist, json=client)
        return answer if answer.status_code == 201 else None

    async with probe(test_env, "gateway.account_created.v1") as created:
        response = await wait_for(create, what="the gateway to learn of the authorisation")
        assert response.json()["temporary_password_sent"] is False
        event = json.loads((await created.next()).body)
    assert event["payload"]["has_personal_number"] is True and "1212" not in json.dumps(event)
    tokens = await bankid_login(gw, PERSONAL_NUMBER, "Test Klient Länkad")
    assert (await whoami(gw, tokens))["account_id"] == response.json()["id"]
    async with probe(test_env, "gateway.registration_attempted.v1") as attempted:
        duplicate = await gw.client.post("/identity/accounts", headers=therapist, json={
            "display_name": "Again", "roles": ["client"], "personal_number": PERSONAL_NUMBER})
        # the same answer as for a new person (no enumeration); the owner is told instead
        assert duplicate.status_code == 201 and set(duplicate.json()) == set(response.json())
        assert duplicate.json()["id"] != response.json()["id"]
        assert json.loads((await attempted.next()).body)["payload"]["account_id"] == response.json()["id"]
    not_allowed = await gw.client.post("/identity/accounts", headers=therapist, json={"display_name": "X", "roles": ["admin"]})
    assert not_allowed.status_code == 403


async def siths_account(gw, admin: dict, hsa: str, roles=("prescriber",)) -> str:
    created = await gw.client.post("/identity/accounts", headers=admin, json={
        "display_name": "Test Förskrivare", "roles": list(roles), "hsa_id": hsa})
    assert created.status_code == 201
    return created.json()["id"]


async def test_siths_login_with_a_certificate_through_the_trusted_proxy(gw, admin):
    hsa = "SE2321000016-PRE1"
    account_id = await siths_account(gw, admin, hsa)
    login = await gw.client.post("/identity/siths/login", headers=siths_headers(hsa.lower()))
    assert login.status_code == 200
    tokens = login.json()
    assert tokens["scope"] == "limited"  # first use: the terms come first
    tokens = (await gw.client.post("/identity/terms/accept", headers=bearer(tokens),
                                   json={"version": gw.settings.terms_version})).json()
    seen = await whoami(gw, tokens)
    assert seen["roles"] == ["prescriber"] and seen["account_id"] == account_id
    audit = await fetch(gw.settings, "SELECT event, method FROM login_audit WHERE account_id = $1", uuid.UUID(account_id))
    assert ("login_succeeded", "siths") in [(a["event"], a["method"]) for a in audit]


async def test_siths_refuses_an_hsa_id_without_a_valid_certificate(gw, admin):
    hsa = "SE2321000016-PRE2"
    await siths_account(gw, admin, hsa)
    before = len(await fetch(gw.settings, "SELECT id FROM login_audit WHERE method = 'siths' AND event = 'login_failed'"))
    bare = await gw.client.post("/identity/siths/login", json={"hsa_id": hsa})  # what anyone could send
    assert bare.status_code == 401 and bare.json()["type"] == "/problems/siths-certificate-required"

    another_ca = DevelopmentCa.create("Not SITHS").issue_person(hsa, "Test Förfalskare")
    now = datetime.now(UTC)
    expired = ca_for_tests().issue_person(hsa, "Test Förskrivare", not_before=now - timedelta(days=400),
                                        not_after=now - timedelta(days=1))
    not_for_login = ca_for_tests().issue_person(hsa, "Test Förskrivare", client_auth=False)
    for refused in (another_ca, expired, not_for_login):
        answer = await gw.client.post("/identity/siths/login", headers=refused.proxy_header(), json={"hsa_id": hsa})
        assert answer.status_code == 401 and answer.json()["type"] == "/problems/siths-certificate-refused"
        assert hsa not in answer.text
    garbled = await gw.client.post("/identity/siths/login", headers={"X-SSL-Client-Cert": "-----BEGIN%20nothing"})
    assert garbled.status_code == 401 and garbled.json()["type"] == "/problems/siths-certificate-required"
    unknown = await gw.client.post("/identity/siths/login", headers=siths_headers("SE2321000016-NOBODY"))
    assert unknown.status_code == 401
    failures = await fetch(gw.settings, "SELECT detail FROM login_audit WHERE method = 'siths' AND event = 'login_failed'")
    assert len(failures) == before + 6 and not any(hsa in (f["detail"] or "") for f in failures)


async def test_siths_certificate_header_from_an_untrusted_peer_counts_for_nothing(gw, test_env, admin):
    hsa = "SE2321000016-PRE3"
    await siths_account(gw, admin, hsa)
    # the same gateway, now trusting no proxy: a client reaching it directly cannot send the proxy's header
    settings = gw.settings.model_copy(update={"http_port": free_port(), "trusted_proxies": [], "mtls_port": 0})
    async with running_service(build_gateway(settings), test_env, http=True, relay=False) as direct:
        answer = await direct.client.post("/identity/siths/login", headers=siths_headers(hsa))
        assert answer.status_code == 401 and answer.json()["type"] == "/problems/siths-certificate-required"
    assert (await gw.client.post("/identity/siths/login", headers=siths_headers(hsa))).status_code == 200


def mtls_client(gw, siths_files, card=None) -> httpx.AsyncClient:
    """What `curl --cacert ca.pem --cert card.pem --key card-key.pem https://…:<mtls port>` does."""
    context = ssl.create_default_context(cafile=str(siths_files / "ca.pem"))
    if card is not None:
        card.write(siths_files / "card.pem", siths_files / "card-key.pem")
        context.load_cert_chain(siths_files / "card.pem", siths_files / "card-key.pem")
    return httpx.AsyncClient(base_url=f"https://127.0.0.1:{gw.settings.mtls_port}", verify=context)


async def test_siths_login_on_the_gateways_mutual_tls_port(gw, siths_files, admin):
    hsa = "SE2321000016-PRE4"
    account_id = await siths_account(gw, admin, hsa)
    async with mtls_client(gw, siths_files, ca_for_tests().issue_person(hsa, "Test Förskrivare")) as card:
        login = await card.post("/identity/siths/login", json={"hsa_id": "SE2321000016-PRE1"})  # the body counts for nothing
        assert login.status_code == 200
        tokens = (await card.post("/identity/terms/accept", headers=bearer(login.json()),
                                  json={"version": gw.settings.terms_version})).json()
        assert (await card.get("/api/portal/whoami", headers=bearer(tokens))).json()["account_id"] == account_id
    for presented in (None, DevelopmentCa.create("Not SITHS").issue_person(hsa, "Test Förfalskare")):
        async with mtls_client(gw, siths_files, presented) as stranger:
            with pytest.raises(httpx.TransportError):  # the handshake refuses it: no request gets through
                await stranger.post("/identity/siths/login")


async def made_account(gw, test_env, headers: dict, *, represents: list[str] | None = None, roles=("client",),
                       organisation_id: str | None = None) -> tuple[str, str, str]:
    """An account with a temporary password; returns (username, temporary password, account id)."""
    username = f"portal.{uuid.uuid4().hex[:8]}"
    async with probe(test_env, "gateway.temporary_password_issued.v1") as issued:
        response = await gw.client.post("/identity/accounts", headers=headers, json={
            "display_name": f"Test {username}", "roles": list(roles), "email": f"{username}@example.org",
            "phone": "+46700000300", "username": username, "language": "nl", "represents": represents or [],
            "organisation_id": organisation_id})
        assert response.status_code == 201, response.text
        while (event := json.loads((await issued.next()).body))["payload"]["username"] != username:
            pass
    return username, event["payload"]["temporary_password"], response.json()["id"]


@pytest.fixture(scope="module")
async def coordinator(gw, test_env, admin) -> tuple[str, dict]:
    """A care organisation in the directory and its coordinator, signed in (password + SMS code):
    (organisation id, the coordinator's headers)."""
    organisation = await gw.client.post("/directory/organisations", headers=admin, json={
        "kind": "care_organisation", "code": f"ZORG-{uuid.uuid4().hex[:6]}", "name": "Testzorg",
        "time_zone": "Europe/Amsterdam"})
    assert organisation.status_code == 201, organisation.text
    organisation_id = organisation.json()["id"]
    username, temporary, _ = await made_account(gw, test_env, admin, roles=("care_coordinator",),
                                                organisation_id=organisation_id)
    tokens = await finish_sign_in(gw, await code_login(gw, test_env, username, temporary), temporary)
    return organisation_id, bearer(tokens)


async def portal_user(gw, test_env, coordinator, *, represents: list[str] | None = None,
                      roles=("client",)) -> tuple[str, str, str]:
    """The coordinator makes a portal account in their care organisation."""
    organisation_id, headers = coordinator
    return await made_account(gw, test_env, headers, represents=represents, roles=roles, organisation_id=organisation_id)


async def code_login(gw, test_env, username: str, password: str) -> dict:
    async with probe(test_env, "gateway.login_code_requested.v1") as codes:
        started = await gw.client.post("/identity/password/login", json={"username": username, "password": password})
        assert started.status_code == 200, started.text
        code = json.loads((await codes.next()).body)["payload"]["code"]
    response = await gw.client.post("/identity/password/code", json={"attempt_id": started.json()["attempt_id"], "code": code})
    assert response.status_code == 200, response.text
    return response.json()


async def finish_sign_in(gw, tokens: dict, temporary: str) -> dict:
    weak = await gw.client.post("/identity/password/change", headers=bearer(tokens),
                                json={"current_password": temporary, "new_password": "short"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.json()["detail"]
    changed = await gw.client.post("/identity/password/change", headers=bearer(tokens),
                                   json={"current_password": temporary, "new_password": "Veilig-Wachtwoord-2026"})
    assert changed.status_code == 200 and changed.json()["scope"] == "limited"  # the terms are still to accept
    accepted = await gw.client.post("/identity/terms/accept", headers=bearer(changed.json()),
                                    json={"version": gw.settings.terms_version})
    assert accepted.status_code == 200 and accepted.json()["scope"] == "full"
    return accepted.json()


async def test_password_sms_code_forced_change_and_terms(gw, test_env, coordinator):
    username, temporary, account_id = await portal_user(gw, test_env, coordinator)
    limited = await code_login(gw, test_env, username, temporary)
    assert limited["scope"] == "limited"
    refused = await whoami(gw, limited)
    assert refused["status"] == 403 and "finish signing in" in refused["detail"]
    full = await finish_sign_in(gw, limited, temporary)
    assert (await whoami(gw, full))["account_id"] == account_id
    events = {r["event"] for r in await fetch(gw.settings, "SELECT event FROM login_audit WHERE account_id = $1", uuid.UUID(account_id))}
    assert {"login_succeeded", "password_changed", "terms_accepted"} <= events


async def test_sms_code_and_temporary_password_are_not_kept_in_the_outbox_once_sent(gw, test_env, coordinator):
    username, temporary, account_id = await portal_user(gw, test_env, coordinator)
    async with probe(test_env, "gateway.login_code_requested.v1") as codes:
        started = await gw.client.post("/identity/password/login", json={"username": username, "password": temporary})
        assert started.status_code == 200, started.text
        code = json.loads((await codes.next()).body)["payload"]["code"]
    assert code.isdigit() and len(code) == 6  # the published message carried it

    async def sent_rows():
        rows = await fetch(gw.settings, "SELECT event_type, body::text AS body FROM outbox "
                           "WHERE aggregate_id = ANY($1::text[]) AND published_at IS NOT NULL",
                           [started.json()["attempt_id"], account_id])
        return rows if {r["event_type"] for r in rows} >= {"gateway.login_code_requested.v1",
                                                           "gateway.temporary_password_issued.v1"} else None

    rows = await wait_for(sent_rows, what="the code and the temporary password marked sent")
    for row in rows:
        payload = json.loads(row["body"])["payload"]
        assert "code" not in payload and "temporary_password" not in payload
        assert temporary not in row["body"]  # (a 6-digit code could match a timestamp by chance)


async def test_wrong_password_and_unknown_user_look_the_same(gw, test_env, coordinator):
    username, _, _ = await portal_user(gw, test_env, coordinator)
    timings, answers = {}, {}
    for case, name in (("wrong password", username), ("unknown user", "nobody.here")):
        started = time.perf_counter()
        response = await gw.client.post("/identity/password/login", json={"username": name, "password": "Wrong-password-1"})
        timings[case], answers[case] = time.perf_counter() - started, (response.status_code, response.json()["detail"])
    assert answers["wrong password"] == answers["unknown user"] == (401, "wrong username or password")
    assert abs(timings["wrong password"] - timings["unknown user"]) < 0.2  # both pay for one argon2 check


async def test_five_wrong_codes_kill_the_attempt(gw, test_env, coordinator):
    username, temporary, account_id = await portal_user(gw, test_env, coordinator)
    async with probe(test_env, "gateway.login_code_requested.v1") as codes:
        attempt = (await gw.client.post("/identity/password/login", json={"username": username, "password": temporary})).json()
        code = json.loads((await codes.next()).body)["payload"]["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [(await gw.client.post("/identity/password/code", json={**attempt, "code": wrong})).json()["detail"] for _ in range(5)]
    assert answers[:4] == ["wrong code"] * 4 and "too many tries" in answers[4]
    too_late = await gw.client.post("/identity/password/code", json={**attempt, "code": code})
    assert too_late.status_code == 401
    events = [r["event"] for r in await fetch(gw.settings, "SELECT event FROM login_audit WHERE account_id = $1 ORDER BY id",
                                              uuid.UUID(account_id))]
    assert events.count("login_failed") == 4 and "locked_out" in events


async def test_an_expired_code_is_refused(gw, test_env, coordinator):
    from gateway.identity import service

    username, temporary, _ = await portal_user(gw, test_env, coordinator)
    async with probe(test_env, "gateway.login_code_requested.v1") as codes:
        attempt = (await gw.client.post("/identity/password/login", json={"username": username, "password": temporary})).json()
        code = json.loads((await codes.next()).body)["payload"]["code"]
    later = datetime.now(UTC) + timedelta(seconds=gw.settings.code_ttl_s + 1)
    with pytest.raises(Exception, match="expired"):
        async with gw.app.state.db.transaction() as session:
            await service.finish_password_login(session, gw.app.state.db, gw.settings, gw.app.state.signing_key,
                                                uuid.UUID(attempt["attempt_id"]), code, "127.0.0.1", now=later)
    assert (await gw.client.post("/identity/password/code", json={**attempt, "code": code})).status_code == 200


async def test_refresh_rotates_and_reuse_ends_the_session(gw):
    tokens = await bankid_login(gw, "19800101-0019", "Test Refresh")
    rotated = (await gw.client.post("/identity/token/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    reused = await gw.client.post("/identity/token/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401 and "used before" in reused.json()["detail"]
    after = await gw.client.post("/identity/token/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert after.status_code == 401  # the whole family was revoked

    fresh = await bankid_login(gw, "19800101-0019", "Test Refresh")
    assert (await gw.client.post("/identity/logout", json={"refresh_token": fresh["refresh_token"]})).status_code == 204
    assert (await gw.client.post("/identity/token/refresh", json={"refresh_token": fresh["refresh_token"]})).status_code == 401


async def test_a_representative_chooses_among_their_clients_only(gw, test_env, coordinator):
    _, _, first = await portal_user(gw, test_env, coordinator)
    _, _, second = await portal_user(gw, test_env, coordinator)
    _, _, third = await portal_user(gw, test_env, coordinator)
    username, temporary, _ = await portal_user(gw, test_env, coordinator, represents=[first, second],
                                                roles=("representative",))
    tokens = await finish_sign_in(gw, await code_login(gw, test_env, username, temporary), temporary)
    me = (await gw.client.get("/identity/me", headers=bearer(tokens))).json()
    assert sorted(c["id"] for c in me["represents"]) == sorted([first, second])
    for client in (first, second):
        acting = (await gw.client.post("/identity/act-for", headers=bearer(tokens), json={"client_id": client})).json()
        assert (await whoami(gw, acting))["acting_for"] == client
    refused = await gw.client.post("/identity/act-for", headers=bearer(tokens), json={"client_id": third})
    assert refused.status_code == 403


async def test_token_attacks_are_refused_by_a_service(gw):
    tokens = await bankid_login(gw, "19700101-0011", "Test Attack")
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    public_pem = gw.app.state.signing_key.public_pem()
    forged = {
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "HS256 with the public key": hs256_forgery(claims, public_pem.encode()),
        "expired": jwt.encode({**claims, "exp": int(time.time()) - 60, "iat": int(time.time()) - 700},
                              gw.app.state.signing_key.private, algorithm="EdDSA", headers={"kid": gw.app.state.signing_key.kid}),
        "wrong audience": jwt.encode({**claims, "aud": "someone-else"}, gw.app.state.signing_key.private, algorithm="EdDSA",
                                     headers={"kid": gw.app.state.signing_key.kid}),
        "another key": TokenIssuer().token(claims["sub"], "client"),
    }
    for case, token in forged.items():
        response = await gw.client.get("/api/portal/whoami", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, case
    assert (await gw.client.get("/api/portal/whoami")).status_code == 401
    assert (await whoami(gw, tokens))["status"] == 200


def hs256_forgery(claims: dict, secret: bytes) -> str:
    """The classic attack: an HMAC "signature" keyed with the public key (PyJWT refuses to make one)."""
    import base64
    import hashlib
    import hmac

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + part(json.dumps(claims).encode())
    return signing_input + "." + part(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())


async def test_the_login_audit_cannot_be_changed(gw):
    import asyncpg

    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await fetch(gw.settings, "DELETE FROM login_audit")
