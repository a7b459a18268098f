"""Idempotent consumers: a (consumer, event_id) row inserted in the same transaction as the effects.

A second delivery of the same event finds the row and changes nothing. When two copies race, the second
insert waits for the first transaction and then sees the conflict.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope
from kit.schema import inbox


async def claim(session: AsyncSession, consumer: str, envelope: Envelope) -> bool:
    """True when this consumer has not handled the event before (and now owns it in this transaction)."""
    statement = (
        insert(inbox)
        .values(consumer=consumer, event_id=envelope.event_id, event_type=envelope.event_type)
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )
    return (await session.execute(statement)).first() is not None
