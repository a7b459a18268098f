"""Waiting for a committed change (kit.changes), against the real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from kit.changes import Changes
from kit.db import Database
from kit.schema import announce_statements
from kit.testing import fetch

INSERT = text("INSERT INTO watched_things (id, status) VALUES (:id, :status)")
UPDATE = text("UPDATE watched_things SET status = :status WHERE id = :id")
STATUS = text("SELECT status FROM watched_things WHERE id = :id")


@pytest.fixture(scope="module")
async def watched(kit_settings):
    await fetch(kit_settings, "CREATE TABLE IF NOT EXISTS watched_things (id uuid PRIMARY KEY, status text NOT NULL)")
    for statement in announce_statements("watched_things", "id", ["status"]):
        await fetch(kit_settings, statement)
    db = Database(kit_settings.database_url, pool_size=2)
    changes = Changes(kit_settings.database_url)
    yield db, changes
    await changes.close()
    await db.dispose()


async def test_a_committed_change_wakes_the_waiter_and_a_rolled_back_one_does_not(watched):
    db, changes = watched
    thing = uuid.uuid4()
    async with changes.watch("watched_things", thing) as change:
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                await session.execute(INSERT, {"id": thing, "status": "new"})
                raise RuntimeError("the use case failed")
        assert not await change.wait(0.3)
        async with db.transaction() as session:
            await session.execute(INSERT, {"id": thing, "status": "new"})
        assert await change.wait(10)


async def test_read_when_answers_once_its_row_is_ready_whatever_else_changes(watched):
    db, changes = watched
    thing, other = uuid.uuid4(), uuid.uuid4()
    async with db.transaction() as session:
        await session.execute(INSERT, {"id": thing, "status": "pending"})

    async def read() -> str:
        async with db.transaction() as session:
            return (await session.execute(STATUS, {"id": thing})).scalar_one()

    waiter = asyncio.create_task(changes.read_when("watched_things", thing, read, lambda s: s != "pending", 20))
    async with changes.watch("watched_things", other) as other_change:
        async with db.transaction() as session:
            await session.execute(INSERT, {"id": other, "status": "pending"})
        assert await other_change.wait(10)
    async with changes.watch("watched_things", thing) as same_again:
        async with db.transaction() as session:  # the same status written again: announced, still not ready
            await session.execute(UPDATE, {"id": thing, "status": "pending"})
        assert await same_again.wait(10)
    assert not waiter.done()
    async with db.transaction() as session:
        await session.execute(UPDATE, {"id": thing, "status": "confirmed"})
    assert await asyncio.wait_for(waiter, 10) == "confirmed"
    # already past what the caller knows: answered at once
    assert await changes.read_when("watched_things", thing, read, lambda s: s != "pending", 20) == "confirmed"
