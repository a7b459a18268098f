"""``python -m portal seed``: kit.demo's care organisations' clients with reports, plans (one awaiting approval),
measurements and appointments, with kit.demo's ids; a second run adds nothing."""

from sqlalchemy import func, select

from kit import migrations
from kit.db import Database
from kit.demo import BY_KEY, BY_USERNAME
from portal import demo
from portal.app import ROOT
from portal.models import Appointment, ClientRecord, Measurement, Report, SupportPlan
from portal.settings import Settings


async def test_the_seed_is_whole_consistent_with_kit_demo_and_idempotent(test_env):
    settings = test_env.settings(Settings, database="portal_seed")
    await migrations.upgrade(ROOT, settings.database_url)
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.transaction() as session:
            assert await demo.load(session) == len(demo.CLIENTS) == 4
        async with db.transaction() as session:
            assert await demo.load(session) == 0
            records = {r.id: r for r in (await session.execute(select(ClientRecord))).scalars()}
            for name, org in (("demo.client", "care.1"), ("demo.client2", "care.1"), ("demo.client3", "care.2"),
                              ("demo.client4", "care.2")):
                assert records[BY_USERNAME[name].id].organisation_id == BY_KEY[org].id
            for table in (Report, Measurement, Appointment):
                counts = dict((await session.execute(select(table.client_id, func.count()).group_by(table.client_id))).all())
                assert set(counts) == set(records) and min(counts.values()) >= 3, table.__tablename__
            plans = list((await session.execute(select(SupportPlan))).scalars())
            assert all(p.pdf.startswith(b"%PDF-") for p in plans)
            awaiting = {p.client_id for p in plans if p.approved_at is None}
            assert BY_USERNAME["demo.client"].id in awaiting and BY_USERNAME["demo.client3"].id in awaiting
    finally:
        await db.dispose()
