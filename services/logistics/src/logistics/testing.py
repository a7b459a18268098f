"""Test support: the logistics service with the demo catalogue loaded, the demo directory (kit.demo's
organisations) and grants, a prescriber who has made the first-login settings, and the text of a printout.
Used by the cross-service tests.

STAND-IN: until the gateway's ``/directory`` API lands, ``publish_directory`` and ``grant`` play the gateway
and publish its directory events (``OrganisationSaved``, ``MembershipGranted``) through the real broker; the
service under test fills its copy from them exactly as it will from the gateway. The lead replaces these two
with grants made through the gateway's API.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from contracts.gateway.v1 import MembershipGranted, MembershipRevoked, OrganisationSaved
from kit.db import Database
from kit.demo import ORGANISATIONS, demo_id
from kit.testing import RunEnvironment, RunningService, fetch, publish_many, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from logistics.app import build
from logistics.demo import load
from logistics.settings import Settings

OWN_STORE = "K1201"
#: kit.demo's organisations by key: unit.1a, unit.1b, store.1 (K1201) of municipality.1; unit.2a, … of municipality.2
ORG = {o.key: o for o in ORGANISATIONS}


@asynccontextmanager
async def running_logistics(test_env: RunEnvironment, settings: Settings) -> AsyncIterator[RunningService]:
    """The service on ``settings``, with the demo catalogue, warehouses and stock loaded and kit.demo's
    organisations in its directory copy."""
    async with running_service(build(settings), test_env) as service:
        db = Database(settings.database_url, pool_size=2)
        async with db.transaction() as session:
            await load(session)
        await db.dispose()
        await publish_directory(test_env)
        yield service


async def publish_directory(test_env: RunEnvironment) -> None:
    """STAND-IN for the gateway: kit.demo's organisations as the directory's events."""
    await publish_many(test_env, [OrganisationSaved(organisation_id=o.id, kind=o.kind, parent_id=o.parent_id, code=o.code,
                                                    name=o.name, time_zone=o.time_zone) for o in ORGANISATIONS])


async def grant(test_env: RunEnvironment, account_id: uuid.UUID, *memberships: tuple[str, str]) -> None:
    """STAND-IN for the gateway's directory API: ``(organisation key, role)`` memberships as its events."""
    await publish_many(test_env, [MembershipGranted(account_id=account_id, organisation_id=demo_id(key), role=role)
                                  for key, role in memberships])


async def revoke(test_env: RunEnvironment, account_id: uuid.UUID, *memberships: tuple[str, str]) -> None:
    """STAND-IN for the gateway's directory API: memberships taken back, as its events."""
    await publish_many(test_env, [MembershipRevoked(account_id=account_id, organisation_id=demo_id(key), role=role)
                                  for key, role in memberships])


async def until(check: Callable[[], Awaitable[httpx.Response]], status: int = 200, what: str = "the grant") -> httpx.Response:
    """Poll an API call until it answers ``status`` (a grant takes effect once its event is handled)."""
    async def answered() -> httpx.Response | None:
        response = await check()
        return response if response.status_code == status else None

    return await wait_for(answered, timeout=20, interval=0.1, what=what)


async def aid_centre(service: RunningService, test_env: RunEnvironment, issuer: TokenIssuer) -> dict[str, str]:
    """Aid-centre staff of the demo region (granted, and seen by the service)."""
    account = uuid.uuid4()
    await grant(test_env, account, ("region", "aid_centre_staff"), ("aid_centre", "aid_centre_staff"))
    async def seen() -> bool:  # no API shows an empty region: the copy is read (stand-in, as the grant is)
        rows = await fetch(service.settings, "SELECT count(*) AS n FROM directory_memberships WHERE account_id = $1", account)
        return rows[0]["n"] == 2

    await wait_for(seen, timeout=20, interval=0.1, what="the region grant")
    return issuer.headers(account, "aid_centre_staff", name="Test Hjälpmedelscentral")


async def prescriber(service: RunningService, test_env: RunEnvironment, issuer: TokenIssuer, *,
                     units: tuple[str, ...] = ("unit.1a",), stores: tuple[str, ...] = ("store.1",),
                     account_id: uuid.UUID | None = None, **settings: Any) -> dict[str, str]:
    """A prescriber granted ``units`` (prescriber) and ``stores`` (store keeper), after their LG-1 settings:
    the first unit the default, the granted stores their own (``settings`` overrides)."""
    account = account_id or uuid.uuid4()
    await grant(test_env, account, *[(u, "prescriber") for u in units], *[(s, "store_keeper") for s in stores])
    headers = issuer.headers(account, "prescriber", name="Test Förskrivare")
    body = {"default_source": "own_store" if stores else "aid_centre", "service_unit_id": str(demo_id(units[0])),
            "own_stores": [ORG[s].code for s in stores]} | settings
    await until(lambda: service.client.put("/prescribers/me/settings", headers=headers, json=body), what="the prescriber's grants")
    return headers


def pdf_text(content: bytes) -> str:
    """The text of every page of a printout."""
    from pypdf import PdfReader  # a test dependency

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
