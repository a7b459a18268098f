"""The portal's audit keeps ``audit_retention_days`` (five years by default): older rows are purged from the
chain's start by kit's housekeeping, and the chain still verifies."""

import uuid
from datetime import UTC, datetime, timedelta

from kit import audit, housekeeping, migrations
from kit.db import Database
from portal.app import ROOT
from portal.settings import Settings


async def test_rows_past_the_retention_are_purged_and_the_chain_holds(test_env):
    settings = test_env.settings(Settings, database="portal_retention")
    assert Settings.model_fields["audit_retention_days"].default == 5 * 365
    await migrations.upgrade(ROOT, settings.database_url)
    db = Database(settings.database_url, pool_size=1)
    actor, subject = uuid.uuid4(), uuid.uuid4()
    try:
        async with db.transaction() as session:  # a row of six years ago, as it was written then
            at = datetime.now(UTC) - timedelta(days=6 * 365)
            digest = audit.row_hash(audit.GENESIS, at, actor, subject, "read reports", None, True, None, None)
            await session.execute(audit.audit_trail.insert().values(
                at=at, actor_id=actor, subject_id=subject, action="read reports", allowed=True,
                prev_hash=audit.GENESIS, hash=digest))
            await audit.write(session, actor=actor, subject=subject, action="read profile")
        pruned = await housekeeping.prune(db.engine, settings)
        assert pruned["audit_trail"] == 1
        async with db.transaction() as session:
            rows = (await session.execute(audit.audit_trail.select())).all()
            assert [r.action for r in rows] == ["read profile"]
            assert (await audit.verify_chain(session, settings.audit_retention_days)).valid
    finally:
        await db.dispose()
