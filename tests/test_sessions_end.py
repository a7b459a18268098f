"""Sessions end everywhere at once (issue 17, point 6), through the real gateway over HTTP and a service
(portal) reached directly: a password change ends the account's other sessions, logout ends its session,
a reused refresh token ends the session for both holders, a process started later learns earlier ends,
and a session past its absolute lifetime is refused a refresh."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from gateway.app import build as build_gateway
from gateway.settings import Settings as GatewaySettings
from kit.testing import free_port, probe, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from portal.app import build as build_portal
from portal.settings import Settings as PortalSettings

KEY = TokenIssuer()
MAX_AGE_S = 6
NEW_PASSWORD = "Lavender-Orbit-Quarry-8417"


def portal_settings(test_env, port: int, **overrides):
    return test_env.settings(PortalSettings, jwt_public_key="", **overrides,
                             jwt_jwks_url=f"http://127.0.0.1:{port}/.well-known/jwks.json",
                             sessions_ended_url=f"http://127.0.0.1:{port}/identity/sessions/ended")


@pytest.fixture(scope="module")
async def gw(test_env):
    port = free_port()
    settings = test_env.settings(GatewaySettings, http_port=port, signing_key_pem=KEY.private_pem,
                                 session_max_age_s=MAX_AGE_S,
                                 sessions_ended_url=f"http://127.0.0.1:{port}/identity/sessions/ended")
    async with running_service(build_gateway(settings), test_env, http=True) as gateway, \
            running_service(build_portal(portal_settings(test_env, port)), test_env, relay=False) as portal:
        await wait_for(lambda: _following(portal), what="portal follows ended sessions")
        yield gateway, portal


async def _following(service) -> bool:
    return getattr(service.app.state, "ended_sessions_following", False)


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def at_portal(portal, tokens: dict) -> int:
    """A service reached directly, not through the gateway."""
    return (await portal.client.get("/whoami", headers=bearer(tokens))).status_code


async def refused_soon(portal, tokens: dict) -> None:
    async def refused() -> bool:
        return await at_portal(portal, tokens) == 401
    await wait_for(refused, timeout=1.0, what="the session's access token refused")


async def bankid_login(gateway, personal_number: str) -> dict:
    ref = (await gateway.client.post("/identity/bankid/auth")).json()["order_ref"]
    assert (await gateway.client.post("/identity/dev/bankid/sign", json={
        "order_ref": ref, "personal_number": personal_number, "name": "Test Session"})).status_code == 204
    tokens = (await gateway.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()["tokens"]
    if tokens["scope"] == "limited":
        tokens = (await gateway.client.post("/identity/terms/accept", headers=bearer(tokens),
                                            json={"version": gateway.settings.terms_version})).json()
    return tokens


async def code_login(gateway, test_env, username: str, password: str) -> dict:
    async with probe(test_env, "gateway.login_code_requested.v1") as codes:
        started = await gateway.client.post("/identity/password/login", json={"username": username, "password": password})
        assert started.status_code == 200, started.text
        code = json.loads((await codes.next()).body)["payload"]["code"]
    response = await gateway.client.post("/identity/password/code",
                                         json={"attempt_id": started.json()["attempt_id"], "code": code})
    assert response.status_code == 200, response.text
    return response.json()


async def portal_account(gateway, test_env) -> tuple[str, str]:
    username = f"session.{uuid.uuid4().hex[:8]}"
    async with probe(test_env, "gateway.temporary_password_issued.v1") as issued:
        response = await gateway.client.post("/identity/accounts", headers=KEY.headers(uuid.uuid4(), "admin"), json={
            "display_name": "Test Session", "roles": ["client"], "email": f"{username}@example.org",
            "phone": "+46700000301", "username": username, "language": "sv"})
        assert response.status_code == 201, response.text
        temporary = json.loads((await issued.next()).body)["payload"]["temporary_password"]
    first = await code_login(gateway, test_env, username, temporary)
    changed = await gateway.client.post("/identity/password/change", headers=bearer(first),
                                        json={"current_password": temporary, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    return username, NEW_PASSWORD


async def test_a_password_change_ends_every_other_session_within_a_second(gw, test_env):
    gateway, portal = gw
    username, password = await portal_account(gateway, test_env)
    this = await code_login(gateway, test_env, username, password)
    other = await code_login(gateway, test_env, username, password)
    for tokens in (this, other):
        if tokens["scope"] == "limited":
            tokens.update((await gateway.client.post("/identity/terms/accept", headers=bearer(tokens),
                                                     json={"version": gateway.settings.terms_version})).json())
    assert await at_portal(portal, other) == 200
    changed = await gateway.client.post("/identity/password/change", headers=bearer(this),
                                        json={"current_password": password, "new_password": password + "-Zeta"})
    assert changed.status_code == 200, changed.text
    await refused_soon(portal, other)
    assert (await gateway.client.post("/identity/token/refresh", json={"refresh_token": other["refresh_token"]})).status_code == 401
    assert await at_portal(portal, changed.json()) == 200  # the session that changed it goes on
    assert await at_portal(portal, this) == 200


async def test_logout_refuses_the_access_token_at_a_service(gw):
    gateway, portal = gw
    tokens = await bankid_login(gateway, "19800202-0017")
    assert await at_portal(portal, tokens) == 200
    assert (await gateway.client.post("/identity/logout", json={"refresh_token": tokens["refresh_token"]})).status_code == 204
    await refused_soon(portal, tokens)
    assert (await gateway.client.get("/identity/me", headers=bearer(tokens))).status_code == 401


async def test_a_reused_refresh_token_refuses_both_holders_access_tokens(gw):
    gateway, portal = gw
    stolen = await bankid_login(gateway, "19800303-0015")
    owner = (await gateway.client.post("/identity/token/refresh", json={"refresh_token": stolen["refresh_token"]})).json()
    assert await at_portal(portal, owner) == 200 and await at_portal(portal, stolen) == 200
    reused = await gateway.client.post("/identity/token/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert reused.status_code == 401
    await refused_soon(portal, owner)
    await refused_soon(portal, stolen)


async def test_a_process_started_later_learns_sessions_ended_before(gw, test_env):
    gateway, _ = gw
    tokens = await bankid_login(gateway, "19800404-0013")
    assert (await gateway.client.post("/identity/logout", json={"refresh_token": tokens["refresh_token"]})).status_code == 204
    late = build_portal(portal_settings(test_env, gateway.settings.http_port, queue_prefix=f"late{uuid.uuid4().hex[:6]}."))
    async with running_service(late, test_env, relay=False) as portal:
        await wait_for(lambda: _following(portal), what="the late portal asked the gateway")
        assert await at_portal(portal, tokens) == 401


async def test_a_session_past_its_absolute_lifetime_is_refused_a_refresh(gw):
    gateway, _ = gw
    tokens = await bankid_login(gateway, "19800505-0011")
    await asyncio.sleep(MAX_AGE_S + 0.5)  # time itself is what is tested: nothing to await instead
    refused = await gateway.client.post("/identity/token/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401 and refused.json()["detail"] == "this session is older than allowed: sign in again"
