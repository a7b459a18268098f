"""W3C trace context travels with an event: producer transaction → outbox row → relay → consumer span."""

from __future__ import annotations

import uuid

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kit import outbox, telemetry
from kit.testing import fetch, wait_for
from kit.testing.sample import ThingHappened


async def test_consumer_span_joins_the_producers_trace(kit_service):
    exporter = InMemorySpanExporter()
    provider = telemetry.setup_tracing(kit_service.settings, exporter)
    tracer = trace.get_tracer("test")
    db = kit_service.app.state.db

    with tracer.start_as_current_span("use case") as producer_span:
        async with db.transaction() as session:
            envelope = await outbox.add(session, ThingHappened(thing_id=uuid.uuid4(), note="traced"))
    trace_id = producer_span.get_span_context().trace_id

    rows = await fetch(kit_service.settings, "SELECT headers FROM outbox WHERE event_id = $1", envelope.event_id)
    assert f"{trace_id:032x}" in rows[0]["headers"]  # the traceparent was stored with the row

    async def consumer_span():
        provider.force_flush()
        return [
            s for s in exporter.get_finished_spans()
            if s.context.trace_id == trace_id and s.kind == trace.SpanKind.CONSUMER
        ]

    spans = await wait_for(consumer_span, what="the consumer's span in the producer's trace")
    assert spans[0].parent is not None
