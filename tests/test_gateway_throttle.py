"""Brute force against the real gateway (kit.throttle): wrong passwords lock the account with back-off,
concurrent wrong tries are each counted, and the per-address limits cannot be dodged with a forged
X-Forwarded-For. Each test runs its own gateway (own database) with small limits."""

from __future__ import annotations

import asyncio
import json
import uuid
from contextlib import asynccontextmanager

from gateway.app import build as build_gateway
from gateway.settings import Settings as GatewaySettings
from kit import throttle
from kit.testing import fetch, free_port, probe, running_service
from kit.testing.tokens import TokenIssuer

KEY = TokenIssuer()
ADMIN_ID = uuid.uuid4()


def admin() -> dict[str, str]:
    """An admin's headers, minted when used: a test token lives five minutes, a whole run longer."""
    return KEY.headers(ADMIN_ID, "admin")
WRONG = "Wrong-password-1"


@asynccontextmanager
async def gateway(test_env, database: str, **overrides):
    settings = test_env.settings(GatewaySettings, database=database, http_port=free_port(),
                                 signing_key_pem=KEY.private_pem, services={}, **overrides)
    async with running_service(build_gateway(settings), test_env, http=True) as gw:
        yield gw


async def portal_user(gw, test_env) -> tuple[str, str]:
    """An account with a temporary password and a mobile: (username, password)."""
    username = f"throttle.{uuid.uuid4().hex[:8]}"
    async with probe(test_env, "gateway.temporary_password_issued.v1") as issued:
        response = await gw.client.post("/identity/accounts", headers=admin(), json={
            "display_name": "Test Throttle", "roles": ["client"], "email": f"{username}@example.org",
            "phone": "+46700000301", "username": username, "language": "en"})
        assert response.status_code == 201, response.text
        while (event := json.loads((await issued.next()).body))["payload"]["username"] != username:
            pass
    return username, event["payload"]["temporary_password"]


async def login(gw, username: str, password: str, **headers: str):
    return await gw.client.post("/identity/password/login", json={"username": username, "password": password},
                                headers=headers)


async def test_twenty_wrong_passwords_lock_the_account_until_the_back_off_has_passed(test_env):
    async with gateway(test_env, "gateway_throttle_lock", throttle_account_failures=5, throttle_base_s=0.5,
                       throttle_max_s=2.0) as gw:
        username, password = await portal_user(gw, test_env)
        answers = [await login(gw, username, WRONG) for _ in range(20)]
        statuses = [a.status_code for a in answers]
        assert statuses[:5] == [401] * 5 and statuses[-1] == 429, statuses
        assert answers[-1].headers["content-type"].startswith("application/problem+json")
        assert answers[-1].json()["type"] == "/problems/too-many-attempts"
        assert 1 <= int(answers[-1].headers["Retry-After"]) <= 2

        right = await login(gw, username, password)  # the right password does not get through the lock
        assert right.status_code == 429, right.text
        await asyncio.sleep(int(right.headers["Retry-After"]))  # the back-off is time itself: wait it out
        after = await login(gw, username, password)
        assert after.status_code == 200, after.text
        # the success forgave the account: the next wrong try is an ordinary 401 again
        assert (await login(gw, username, WRONG)).status_code == 401

        audit = await fetch(gw.settings, "SELECT method, detail FROM login_audit WHERE event = 'throttled'")
        assert audit and all(r["method"] == "password" and password not in (r["detail"] or "") for r in audit)


async def test_concurrent_wrong_tries_are_each_counted(test_env):
    """20 at once, more than the test pool's 15 connections: a failure gives its connection back first."""
    async with gateway(test_env, "gateway_throttle_race", throttle_account_failures=100) as gw:
        username = f"nobody.{uuid.uuid4().hex[:8]}"  # an unknown username is throttled like a known one
        answers = await asyncio.gather(*(login(gw, username, WRONG) for _ in range(20)))
        assert [a.status_code for a in answers] == [401] * 20
        counted = await fetch(gw.settings, "SELECT failures FROM throttle WHERE key = $1",
                              throttle.key("password", "account", username.upper()))  # hashed, and normalised
        assert counted[0]["failures"] == 20
        by_ip = await fetch(gw.settings, "SELECT failures FROM throttle WHERE key = 'password:ip:127.0.0.1'")
        assert by_ip[0]["failures"] == 20


async def test_the_sms_limit_per_address_ignores_x_forwarded_for_from_an_untrusted_peer(test_env):
    async with gateway(test_env, "gateway_throttle_sms", codes_per_ip_per_10_min=2, trusted_proxies=[]) as gw:
        users = [await portal_user(gw, test_env) for _ in range(3)]
        answers = [await login(gw, name, password, **{"X-Forwarded-For": f"203.0.113.{i}"})
                   for i, (name, password) in enumerate(users)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[2].json()["type"] == "/problems/too-many-codes" and answers[2].headers["Retry-After"]
        ips = {r["ip"] for r in await fetch(gw.settings, "SELECT ip FROM login_audit WHERE event = 'code_rate_limited'")}
        assert ips == {"127.0.0.1"}  # the peer, not the address it claimed


async def test_a_trusted_proxy_passes_the_client_address_on(test_env):
    async with gateway(test_env, "gateway_throttle_proxy", throttle_ip_failures=2, throttle_max_s=60.0,
                       trusted_proxies=["127.0.0.1"]) as gw:
        tries = [(await login(gw, f"nobody.{i}", WRONG, **{"X-Forwarded-For": "198.51.100.7"})).status_code
                 for i in range(4)]
        assert tries[:2] == [401, 401] and tries[-1] == 429
        other = await login(gw, "nobody.else", WRONG, **{"X-Forwarded-For": "198.51.100.8"})
        assert other.status_code == 401  # another client behind the same proxy is not locked out


# -- passwords ------------------------------------------------------------------------------------------------
def test_the_strength_rule_refuses_guessable_and_published_passwords():
    from gateway import seed
    from gateway.identity import rules

    assert seed.DEMO_PASSWORD in rules.PUBLISHED_PASSWORDS
    assert rules.weakness("Password1234") and rules.weakness(seed.DEMO_PASSWORD)
    # one's own name and email are no secret: strong for a stranger, weak for Hanna herself
    assert rules.weakness("Lindqvist2026!") == []
    assert rules.weakness("Lindqvist2026!", ["Hanna Lindqvist", "hanna.lindqvist@example.org"])
    assert rules.weakness("hanna.lindqvist@example.org", ["hanna.lindqvist@example.org"])
    assert rules.weakness("Veilig-Wachtwoord-2026") == []
    assert rules.weakness("x" * 1000)  # long input is cut before zxcvbn, and repetition is still weak


async def test_weak_passwords_are_refused_with_reasons_and_temporary_passwords_expire(test_env):
    async with gateway(test_env, "gateway_throttle_passwords", temporary_password_ttl_s=60) as gw:
        username, temporary = await portal_user(gw, test_env)
        async with probe(test_env, "gateway.login_code_requested.v1") as codes:
            started = await login(gw, username, temporary)
            code = json.loads((await codes.next()).body)["payload"]["code"]
        tokens = (await gw.client.post("/identity/password/code", json={**started.json(), "code": code})).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        for weak in ("Password1234", "Demo-Password-2026"):
            refused = await gw.client.post("/identity/password/change", headers=auth,
                                           json={"current_password": temporary, "new_password": weak})
            assert refused.status_code == 422, refused.text
            assert refused.json()["reasons"] and "too easy to guess" in refused.json()["detail"]
        registered = await gw.client.post("/identity/register", json={
            "display_name": "Test Weak", "email": f"weak.{uuid.uuid4().hex[:6]}@example.org", "password": "Password1234"})
        assert registered.status_code == 422 and registered.json()["reasons"]

        expired_user, expired_password = await portal_user(gw, test_env)
        await fetch(gw.settings, "UPDATE accounts SET temporary_password_expires_at = now() - interval '1 second' "
                                 "WHERE username = $1", expired_user)
        answer = await login(gw, expired_user, expired_password)
        assert answer.status_code == 401 and answer.json()["type"] == "/problems/temporary-password-expired"
        assert "ask" in answer.json()["detail"] and "new one" in answer.json()["detail"]
        # one not expired yet still works (60 s from its creation)
        fresh_user, fresh_password = await portal_user(gw, test_env)
        async with probe(test_env, "gateway.login_code_requested.v1"):
            assert (await login(gw, fresh_user, fresh_password)).status_code == 200


# -- no enumeration ---------------------------------------------------------------------------------------------
async def test_registration_answers_the_same_for_a_new_and_a_taken_email_and_tells_the_owner(test_env):
    async with gateway(test_env, "gateway_throttle_register") as gw:
        email = f"therapist.{uuid.uuid4().hex[:8]}@example.org"
        sign_up = {"display_name": "Test Terapeut", "email": email, "password": "Mitt-Eget-Losenord-77"}
        first = await gw.client.post("/identity/register", json=sign_up)
        async with probe(test_env, "gateway.registration_attempted.v1") as attempted:
            again = await gw.client.post("/identity/register", json={**sign_up, "display_name": "Someone Else",
                                                                      "password": "Ett-Annat-Losenord-88"})
            told = json.loads((await attempted.next()).body)["payload"]
        assert (first.status_code, first.json()) == (again.status_code, again.json())
        assert first.status_code == 202 and "access_token" not in first.text
        assert set(told) == {"event_type", "account_id", "language"}  # nothing about who tried, nor what
        # the first registrant signs in with the chosen password; the second one's password opens nothing
        signed_in = await gw.client.post("/identity/email/login", json={"email": email, "password": "Mitt-Eget-Losenord-77"})
        assert signed_in.status_code == 200 and told["account_id"] == (await fetch(
            gw.settings, "SELECT id::text FROM accounts WHERE email = $1", email))[0]["id"]
        refused = await gw.client.post("/identity/email/login", json={"email": email, "password": "Ett-Annat-Losenord-88"})
        assert refused.status_code == 401


# -- secret links in booking ------------------------------------------------------------------------------------
async def test_guessing_invitation_and_consent_links_is_throttled_per_address(test_env):
    from booking.app import build as build_booking
    from booking.settings import Settings as BookingSettings

    settings = test_env.settings(BookingSettings, database="booking_throttle", jwt_public_key=KEY.public_pem,
                                 throttle_ip_failures=3, throttle_max_s=60.0)
    async with running_service(build_booking(settings), test_env, relay=False) as booking:
        guesses = [(await booking.client.post(f"/invitations/guess-{i}/accept", json={"display_name": "X"})).status_code
                   for i in range(5)]
        assert guesses[:3] == [404] * 3 and guesses[-1] == 429
        consent = [(await booking.client.post(f"/consents/guess-{i}/answer", json={"approve": True})).status_code
                   for i in range(5)]
        assert consent[:3] == [404] * 3 and consent[-1] == 429  # each link kind counts on its own
        refused = await booking.client.post("/consents/guess-9/answer", json={"approve": True})
        assert refused.json()["type"] == "/problems/too-many-attempts" and int(refused.headers["Retry-After"]) >= 1


async def test_bankid_starts_and_sign_ups_are_limited_per_address(test_env):
    async with gateway(test_env, "gateway_throttle_starts", throttle_ip_failures=2, throttle_max_s=60.0) as gw:
        starts = [(await gw.client.post("/identity/bankid/auth")).status_code for _ in range(4)]
        assert starts[:2] == [200, 200] and starts[-1] == 429
        sign_ups = [(await gw.client.post("/identity/register", json={
            "display_name": "Test Many", "email": f"many.{i}.{uuid.uuid4().hex[:6]}@example.org",
            "password": "Mitt-Eget-Losenord-77"})).status_code for i in range(4)]
        assert sign_ups[:2] == [202, 202] and sign_ups[-1] == 429  # each kind of check counts on its own
        audit = await fetch(gw.settings, "SELECT DISTINCT method FROM login_audit WHERE event = 'throttled'")
        assert {r["method"] for r in audit} == {"bankid", "register"}
