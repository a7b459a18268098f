"""A sample consumer for kit's tests and the bus benchmark: the kit tables, one ``effects`` table and a
test-only event. It shows in the smallest form how a service uses the outbox, the inbox and ``Consumers``."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Literal

from sqlalchemy import Column, DateTime, MetaData, Table, Text, insert, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from contracts import Envelope, Event
from kit import migrations, schema
from kit.bus import Consumers, Permanent

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
#: event id → how many times its handler lost its connection ("connection lost N": the first N times)
CUT: Counter[uuid.UUID] = Counter()


@consumers.on(ThingHappened, queue="things")
async def record_thing(session: AsyncSession, event: ThingHappened, envelope: Envelope) -> None:
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
