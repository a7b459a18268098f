"""kit.directory against the real PostgreSQL: the copy follows the gateway's events (a redelivered event
changes nothing, a revocation takes the role away), and a role counts in the organisation and below it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from contracts import Envelope
from contracts.gateway.v1 import MembershipGranted, MembershipRevoked, OrganisationSaved
from kit import directory, migrations
from kit.bus import Consumers
from kit.db import Database
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment

REGION, MUNICIPALITY, UNIT, STORE, OTHER = (uuid.uuid4() for _ in range(5))
PRESCRIBER, STAFF = uuid.uuid4(), uuid.uuid4()


@pytest.fixture(scope="module")
async def db(test_env: RunEnvironment) -> AsyncIterator[Database]:
    settings = test_env.settings(ServiceSettings, service_name="kitdirectory")
    await migrations.ensure_database(settings.database_url)
    engine = create_async_engine(settings.database_url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS directory_organisations, directory_memberships"))
        await conn.run_sync(directory.install)
    await engine.dispose()
    database = Database(settings.database_url, pool_size=3)
    yield database
    await database.dispose()


@pytest.fixture(scope="module")
async def copy(db: Database) -> directory.Directory:
    consumers = Consumers()
    kept = directory.Directory()
    kept.subscribe(consumers)
    routes = consumers.queues["directory"].routes

    async def handle(event) -> None:
        async with db.transaction() as session:
            await routes[event.type_name()].handler(session, event, Envelope.wrap(event))

    for org_id, kind, parent, code in [(REGION, "region", None, "99"), (MUNICIPALITY, "municipality", REGION, "1201"),
                                       (UNIT, "service_unit", MUNICIPALITY, "EX-HSV"),
                                       (STORE, "buffer_store", MUNICIPALITY, "K1201"),
                                       (OTHER, "municipality", None, "1202")]:
        await handle(OrganisationSaved(organisation_id=org_id, kind=kind, parent_id=parent, code=code, name=f"org {code}"))
    await handle(MembershipGranted(account_id=PRESCRIBER, organisation_id=UNIT, role="prescriber"))
    await handle(MembershipGranted(account_id=PRESCRIBER, organisation_id=UNIT, role="prescriber"))  # redelivered
    await handle(MembershipGranted(account_id=PRESCRIBER, organisation_id=STORE, role="store_keeper"))
    await handle(MembershipGranted(account_id=STAFF, organisation_id=REGION, role="aid_centre_staff"))
    kept.handle = handle  # type: ignore[attr-defined]
    return kept


async def test_a_role_counts_in_its_organisation_and_below(db, copy):
    async with db.transaction() as session:
        assert await copy.holds(session, PRESCRIBER, "prescriber", UNIT)
        assert not await copy.holds(session, PRESCRIBER, "prescriber", MUNICIPALITY)
        assert await copy.holds(session, STAFF, "aid_centre_staff", UNIT)  # the region's unit
        assert not await copy.holds(session, STAFF, "aid_centre_staff", OTHER)  # not in the region
        assert await copy.ids(session, STAFF, role="aid_centre_staff", kind="municipality") == {MUNICIPALITY}
        assert await copy.ids(session, PRESCRIBER, role="prescriber") == {UNIT}
        assert sorted(await copy.memberships(session, PRESCRIBER)) == sorted([(UNIT, "prescriber"), (STORE, "store_keeper")])
        assert (await copy.by_code(session, "buffer_store", "K1201")).id == STORE


async def test_a_revoked_role_stops_counting(db, copy):
    await copy.handle(MembershipRevoked(account_id=PRESCRIBER, organisation_id=STORE, role="store_keeper"))
    async with db.transaction() as session:
        assert not await copy.holds(session, PRESCRIBER, "store_keeper", STORE)
        assert await copy.holds(session, PRESCRIBER, "prescriber", UNIT)


async def test_a_changed_organisation_is_updated_in_place(db, copy):
    await copy.handle(OrganisationSaved(organisation_id=UNIT, kind="service_unit", parent_id=MUNICIPALITY, code="EX-HSV",
                                        name="renamed unit", active=False))
    async with db.transaction() as session:
        assert (await copy.organisation(session, UNIT)).name == "renamed unit"
        assert await copy.ids(session, PRESCRIBER, role="prescriber") == set()  # inactive ones are not listed
