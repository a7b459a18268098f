"""The transactional outbox: write an event in the same transaction as the change it describes.

    async with db.transaction() as session:
        session.add(booking)
        await outbox.add(session, BookingRequested(...))

If the transaction rolls back, the event is gone with it; if it commits, the relay (``kit.relay``)
publishes it, however long the broker is away. The row holds the whole envelope and the W3C trace
context of the code that wrote it, so the consumer's span joins the producer's trace.
"""

from __future__ import annotations

import uuid

from opentelemetry import propagate
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope, Event
from kit import context
from kit.schema import outbox


async def add(
    session: AsyncSession,
    event: Event,
    *,
    correlation_id: uuid.UUID | None = None,
    causation_id: uuid.UUID | None = None,
    trace_context: dict[str, str] | None = None,
) -> Envelope:
    """Stage ``event`` for publication when ``session``'s transaction commits. Returns its envelope.

    ``trace_context`` (W3C headers saved earlier, see ``current_trace_context``) continues a trace that
    an outside party interrupted, such as a payment provider's webhook; by default the current one goes."""
    envelope = Envelope.wrap(
        event,
        correlation_id=correlation_id or context.correlation_id.get() or uuid.uuid4(),
        causation_id=causation_id or context.causation_id.get(),
    )
    headers = dict(trace_context) if trace_context else current_trace_context()
    await session.execute(
        insert(outbox).values(
            event_id=envelope.event_id,
            event_type=envelope.event_type,
            routing_key=event.routing_key,
            aggregate_id=event.aggregate_id(),
            body=envelope.model_dump(mode="json"),
            headers=headers,
        )
    )
    return envelope


def current_trace_context() -> dict[str, str]:
    """The current W3C trace context as headers (``traceparent``, ``tracestate``), to store and reuse."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers
