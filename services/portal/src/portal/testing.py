"""Test support for the portal's cross-service tests: people sign in through the gateway as they do
(username, password, the SMS code read from notify's /dev/sms), and change the gateway's directory through its
API as the person who would (``GatewayDirectory``): a care organisation's coordinator makes its clients and
representatives, grants and revokes those roles there and links representatives to its clients; an admin
(password and SMS code) anything else. The gateway publishes each change; the portal's copy fills from the
events, so a test polls the portal's API until a change takes effect."""

from __future__ import annotations

import uuid

import httpx

from kit.demo import BY_USERNAME, ORGANISATIONS, PASSWORD, PEOPLE
from kit.testing import wait_for

D = "/directory/organisations"
#: the coordinator of each care organisation of kit.demo, by the organisation's id
COORDINATORS = {o.id: p.username for o in ORGANISATIONS for p in PEOPLE if (o.key, "care_coordinator") in p.memberships}


class GatewayDirectory:
    """The gateway's directory through its /directory and /identity/accounts routes, each change made by the
    one who would make it: the coordinator of the care organisation for client and representative (accounts,
    memberships, links), demo.admin for other roles. Each person signs in once (password and SMS code)."""

    def __init__(self, gateway: httpx.AsyncClient, notify: httpx.AsyncClient) -> None:
        self.gateway, self.notify = gateway, notify
        self._signed: dict[str, dict[str, str]] = {}

    async def as_(self, username: str) -> dict[str, str]:
        """The headers of ``username`` signed in (once per directory)."""
        if username not in self._signed:
            self._signed[username] = bearer(await sign_in(self.gateway, self.notify, username))
        return self._signed[username]

    async def _manager(self, organisation_id: uuid.UUID, role: str) -> dict[str, str]:
        coordinator = COORDINATORS.get(organisation_id)
        return await self.as_(coordinator if coordinator and role in ("client", "representative") else "demo.admin")

    async def new_account(self, organisation_id: uuid.UUID, role: str, username: str, phone: str,
                          language: str = "nl") -> uuid.UUID:
        """The coordinator makes a ``role`` account (client, representative) in their care organisation; it
        becomes a member there and its temporary password goes to ``<username>@example.org`` (notify's /dev/mail)."""
        made = await self.gateway.post("/identity/accounts", headers=await self.as_(COORDINATORS[organisation_id]), json={
            "display_name": f"Test {username}", "roles": [role], "email": f"{username}@example.org", "phone": phone,
            "username": username, "language": language, "organisation_id": str(organisation_id)})
        assert made.status_code == 201, made.text
        return uuid.UUID(made.json()["id"])

    async def grant(self, account_id: uuid.UUID | str, organisation_id: uuid.UUID, role: str) -> None:
        granted = await self.gateway.post(f"{D}/{organisation_id}/members", headers=await self._manager(organisation_id, role),
                                          json={"account_id": str(account_id), "role": role})
        assert granted.status_code in (200, 201), granted.text

    async def revoke(self, account_id: uuid.UUID | str, organisation_id: uuid.UUID, role: str) -> None:
        revoked = await self.gateway.delete(f"{D}/{organisation_id}/members/{account_id}/{role}",
                                            headers=await self._manager(organisation_id, role))
        assert revoked.status_code == 204, revoked.text

    async def link(self, organisation_id: uuid.UUID, representative_id: uuid.UUID | str,
                   client_id: uuid.UUID | str) -> httpx.Response:
        """The coordinator links a representative to a client of their organisation (the answer as it comes:
        201, or 403 when either is not a member there)."""
        return await self.gateway.post(f"{D}/{organisation_id}/representations",
                                       headers=await self.as_(COORDINATORS[organisation_id]),
                                       json={"representative_id": str(representative_id), "client_id": str(client_id)})

    async def unlink(self, organisation_id: uuid.UUID, representative_id: uuid.UUID | str,
                     client_id: uuid.UUID | str) -> None:
        gone = await self.gateway.delete(f"{D}/{organisation_id}/representations/{representative_id}/{client_id}",
                                         headers=await self.as_(COORDINATORS[organisation_id]))
        assert gone.status_code == 204, gone.text

    async def set_active(self, organisation_id: uuid.UUID, active: bool) -> None:
        """An admin deactivates (or reactivates) an organisation."""
        changed = await self.gateway.patch(f"{D}/{organisation_id}", headers=await self.as_("demo.admin"),
                                           json={"active": active})
        assert changed.status_code == 200 and changed.json()["active"] is active, changed.text


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def sms_code(notify: httpx.AsyncClient, phone: str, seen: int) -> str:
    """The login code of the newest SMS to ``phone`` once more than ``seen`` have arrived."""
    async def arrived() -> list | None:
        messages = (await notify.get("/dev/sms", params={"to": phone, "limit": 200})).json()
        return messages if len(messages) > seen else None

    return (await wait_for(arrived, timeout=20, what=f"the login code to {phone}"))[0]["body"][:6]


async def sign_in(gateway: httpx.AsyncClient, notify: httpx.AsyncClient, username: str, password: str = PASSWORD, *,
                  phone: str | None = None) -> dict:
    """Username and password, then the SMS code from /dev/sms, as the person types them. Returns the tokens
    (limited ones when the password must still be changed or the terms accepted)."""
    phone = phone or BY_USERNAME[username].phone
    assert phone, f"{username} has no phone for the login code"
    seen = len((await notify.get("/dev/sms", params={"to": phone, "limit": 200})).json())
    started = await gateway.post("/identity/password/login", json={"username": username, "password": password})
    assert started.status_code == 200, started.text
    code = await sms_code(notify, phone, seen)
    tokens = await gateway.post("/identity/password/code", json={"attempt_id": started.json()["attempt_id"], "code": code})
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


async def act_for(gateway: httpx.AsyncClient, tokens: dict, client_id: uuid.UUID | str) -> httpx.Response:
    """A representative opens one client's portal (GW-6): the answer holds tokens acting for that client."""
    return await gateway.post("/identity/act-for", headers=bearer(tokens), json={"client_id": str(client_id)})
