"""Idempotent consumers: a (consumer, event_id) row inserted in the same transaction as the effects.

A second delivery of the same event finds the row and changes nothing. When two copies race, the second
insert waits for the first transaction and then sees the conflict.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope

# Text, not ``postgresql.insert(inbox).on_conflict_do_nothing()``: SQLAlchemy 2.0 never caches the
# compiled form of the PostgreSQL dialect's INSERT (it has no cache key), so that statement was compiled
# anew for every message (~14 % of a consumer's CPU). A text statement is compiled once and cached.
_CLAIM = text(
    "INSERT INTO inbox (consumer, event_id, event_type) VALUES (:consumer, :event_id, :event_type) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


async def claim(session: AsyncSession, consumer: str, envelope: Envelope) -> bool:
    """True when this consumer has not handled the event before (and now owns it in this transaction)."""
    parameters = {"consumer": consumer, "event_id": envelope.event_id, "event_type": envelope.event_type}
    return (await session.execute(_CLAIM, parameters)).first() is not None
