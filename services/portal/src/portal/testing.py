"""Test support for the portal's cross-service tests: people sign in through the gateway as they do
(username, password, the SMS code read from notify's /dev/sms), and a STAND-IN for the gateway's directory.

``StandInDirectory`` exists only until the gateway's directory API and seed land (another branch): it writes
kit.demo's accounts (with kit.demo's ids and password, terms accepted) and representation links straight into
the test gateway's database, and publishes ``OrganisationSaved`` / ``MembershipGranted`` / ``MembershipRevoked``
through the real broker exactly as the gateway will. Switch it to the gateway's seed and its membership routes
once they exist; nothing in the portal depends on it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from contracts.gateway.v1 import MembershipGranted, MembershipRevoked, OrganisationSaved
from kit.db import Database
from kit.demo import BY_USERNAME, ORGANISATIONS, PASSWORD, PEOPLE, DemoPerson
from kit.testing import RunEnvironment, publish_many, wait_for


class StandInDirectory:
    """Stand-in for the gateway's directory (seed and membership API) in tests. See the module docstring."""

    def __init__(self, env: RunEnvironment, gateway_settings: Any) -> None:
        self.env, self.gateway_settings = env, gateway_settings

    async def seed(self, people: list[DemoPerson] | None = None) -> None:
        """kit.demo's accounts in the gateway's database, and every organisation and membership published."""
        from gateway.identity.models import Account
        from gateway.identity.service import hash_password

        people = people or PEOPLE
        db = Database(self.gateway_settings.database_url, pool_size=1)
        password_hash = await hash_password(PASSWORD)
        try:
            async with db.transaction() as session:
                for person in people:
                    if await session.get(Account, person.id) is None:
                        session.add(Account(id=person.id, display_name=person.display_name, roles=list(person.roles),
                                            username=person.username, email=person.email, phone=person.phone,
                                            language=person.language if person.language in ("sv", "nb", "nl", "en") else "sv",
                                            password_hash=password_hash, hsa_id=person.hsa_id,
                                            terms_version=self.gateway_settings.terms_version,
                                            terms_accepted_at=datetime.now(UTC)))
                await session.flush()
                for person in people:
                    for username in person.represents:
                        await self.link(session, person.id, BY_USERNAME[username].id)
        finally:
            await db.dispose()
        await publish_many(self.env, [
            OrganisationSaved(organisation_id=o.id, kind=o.kind, parent_id=o.parent_id, code=o.code, name=o.name,
                              time_zone=o.time_zone) for o in ORGANISATIONS])  # type: ignore[arg-type]
        await publish_many(self.env, [MembershipGranted(account_id=p.id, organisation_id=BY_KEY_ID[key], role=role)  # type: ignore[arg-type]
                                      for p in people for key, role in p.memberships])

    @staticmethod
    async def link(session: Any, representative_id: uuid.UUID, client_id: uuid.UUID) -> None:
        from gateway.identity.models import Representation

        if await session.get(Representation, (representative_id, client_id)) is None:
            session.add(Representation(representative_id=representative_id, client_id=client_id))

    async def link_representative(self, representative_id: uuid.UUID, client_id: uuid.UUID) -> None:
        """A representation link in the gateway regardless of organisations (as links made before the gateway
        checked them): the portal must refuse what it cannot confirm from its directory."""
        db = Database(self.gateway_settings.database_url, pool_size=1)
        try:
            async with db.transaction() as session:
                await self.link(session, representative_id, client_id)
        finally:
            await db.dispose()

    async def grant(self, account_id: uuid.UUID | str, organisation_id: uuid.UUID, role: str) -> None:
        await publish_many(self.env, [MembershipGranted(account_id=uuid.UUID(str(account_id)),  # type: ignore[arg-type]
                                                        organisation_id=organisation_id, role=role)])

    async def revoke(self, account_id: uuid.UUID | str, organisation_id: uuid.UUID, role: str) -> None:
        await publish_many(self.env, [MembershipRevoked(account_id=uuid.UUID(str(account_id)),  # type: ignore[arg-type]
                                                        organisation_id=organisation_id, role=role)])


BY_KEY_ID = {o.key: o.id for o in ORGANISATIONS}


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
