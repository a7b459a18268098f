"""Idempotent consumers: a (consumer, event_id) row inserted in the same transaction as the effects.

A second delivery of the same event finds the row and changes nothing. When two copies race, the second
insert waits for the first transaction and then sees the conflict.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope
from kit.schema import inbox

# Built once: the statement is the same for every message, only its parameters change.
_CLAIM = (
    insert(inbox)
    .values(consumer=bindparam("consumer"), event_id=bindparam("event_id"), event_type=bindparam("event_type"))
    .on_conflict_do_nothing()
    .returning(inbox.c.event_id)
)


async def claim(session: AsyncSession, consumer: str, envelope: Envelope) -> bool:
    """True when this consumer has not handled the event before (and now owns it in this transaction)."""
    parameters = {"consumer": consumer, "event_id": envelope.event_id, "event_type": envelope.event_type}
    return (await session.execute(_CLAIM, parameters)).first() is not None
