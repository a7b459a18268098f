"""A sample consumer for kit's tests and the bus benchmark: the kit tables, one ``effects`` table and a
test-only event. It shows in the smallest form how a service uses the outbox, the inbox and ``Consumers``.
And a sample route that waits (``?wait=``, kit.changes) on the ``waited_things`` table, served by
``python -m kit.testing.service_process``."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Literal

from fastapi import APIRouter, Request
from sqlalchemy import Column, DateTime, MetaData, Table, Text, insert, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from contracts import Envelope, Event
from kit import migrations, schema
from kit.bus import Consumers, Permanent
from kit.settings import ServiceSettings

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("note", Text, nullable=False),
    # when the effect was written (clock_timestamp: the moment of the insert, not of the transaction start)
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")),
)


class ThingHappened(Event):
    """Only in kit's tests."""

    event_type: Literal["kittest.thing_happened.v1"] = "kittest.thing_happened.v1"
    aggregate_key = "thing_id"

    thing_id: uuid.UUID
    seq: int = 0
    note: str = ""


class SecretIssued(Event):
    """Only in kit's tests: an event carrying a secret, like gateway's LoginCodeRequested."""

    event_type: Literal["kittest.secret_issued.v1"] = "kittest.secret_issued.v1"
    secret_fields = ("code",)

    phone: str
    code: str


consumers = Consumers()
#: ``broken:<cause>`` notes fail until ``<cause>`` is here: a cause fixed after its messages were
#: dead-lettered (kit.dlq's test replays them)
repaired: set[str] = set()
#: event id → how many times its handler lost its connection ("connection lost N": the first N times)
CUT: Counter[uuid.UUID] = Counter()


@consumers.on(ThingHappened, queue="things")
async def record_thing(session: AsyncSession, event: ThingHappened, envelope: Envelope) -> None:
    if event.note.startswith("broken:") and event.note.removeprefix("broken:") not in repaired:
        raise RuntimeError(f"{event.note} is not repaired yet")
    if event.note == "poison":
        raise RuntimeError("this message always fails")
    if event.note == "hopeless":
        raise Permanent("nothing can be done with it")
    if event.note.startswith("connection lost ") and CUT[envelope.event_id] < int(event.note.rsplit(" ", 1)[1]):
        CUT[envelope.event_id] += 1  # the database drops this handler's connection, as a restart does
        await session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
    await session.execute(insert(effects).values(event_id=envelope.event_id, note=event.note))


async def create_tables(database_url: str) -> None:
    await migrations.ensure_database(database_url)
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(schema.install)
        await conn.run_sync(effects_metadata.create_all)
    await engine.dispose()


router = APIRouter()
WAITED_STATUS = text("SELECT status FROM waited_things WHERE id = :id")


@router.get("/things/{thing_id}")
async def waited_thing(thing_id: uuid.UUID, request: Request, changed_from: str | None = None,
                       wait: float = 0) -> dict[str, str | None]:
    """A thing's status; with ``changed_from`` and ``wait``, answered once it is no longer ``changed_from`` (or
    after ``wait`` seconds as it stands), the long poll of booking's ``GET /bookings/{id}``."""
    async def read() -> str | None:
        async with request.app.state.db.transaction() as session:
            return (await session.execute(WAITED_STATUS, {"id": thing_id})).scalar_one_or_none()

    status = await request.app.state.changes.read_when(
        "waited_things", thing_id, read, lambda s: s != changed_from, wait if changed_from else 0)
    return {"status": status}


async def create_waited_table(database_url: str) -> None:
    """The kit tables and ``waited_things`` with its change announcements, in a database of its own."""
    await migrations.ensure_database(database_url)
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(schema.install)
        await conn.exec_driver_sql("CREATE TABLE waited_things (id uuid PRIMARY KEY, status text NOT NULL)")
        for statement in schema.announce_statements("waited_things", "id", ["status"]):
            await conn.exec_driver_sql(statement)
    await engine.dispose()


async def waiting_on_changes(settings: ServiceSettings) -> bool:
    """A request has begun waiting in a process on ``settings``' database (one of its own): the process's
    change listener has connected, which it does on the first watch."""
    from kit.testing import fetch

    return bool(await fetch(settings, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"))
