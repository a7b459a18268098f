"""The Prometheus endpoint shows what an operator watches: requests, messages by outcome, the outbox."""

from __future__ import annotations

import uuid

from kit import outbox
from kit.testing import wait_for
from kit.testing.sample import ThingHappened


async def test_metrics_endpoint_counts_requests_messages_and_outbox(kit_service):
    client = kit_service.client
    db = kit_service.app.state.db
    async with db.transaction() as session:
        await outbox.add(session, ThingHappened(thing_id=uuid.uuid4(), note="metered"))
    await client.get("/health/live")
    await client.get("/does-not-exist")

    async def scraped():
        body = (await client.get("/metrics")).text
        queue = kit_service.settings.queue_name("things")
        handled = [line for line in body.splitlines() if line.startswith("kit_messages_total{")
                   and 'outcome="handled"' in line and f'queue="{queue}"' in line]
        return body if handled and float(handled[0].rsplit(" ", 1)[1]) >= 1 else None

    body = await wait_for(scraped, what="a handled message in the metrics")
    assert "http_server_duration_milliseconds" in body or "http_server_request_duration" in body
    assert 'http_status_code="404"' in body or 'http_response_status_code="404"' in body
    assert "kit_outbox_backlog" in body and "kit_outbox_oldest_age_seconds" in body
    assert "kit_message_handling_milliseconds" in body
