"""One user action, one trace: a paid booking through the gateway (the client sends one traceparent on
its requests) yields one trace whose spans cover the gateway, booking, the bus, billing and notify —
across the outbox, RabbitMQ and even the payment provider's webhook."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from billing.app import build as build_billing
from billing.settings import Settings as BillingSettings
from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from booking.testing import authorised_therapist
from contracts.gateway.v1 import ContactDetailsChanged
from gateway.app import build as build_gateway
from gateway.settings import Settings as GatewaySettings
from kit import telemetry
from kit.testing import fetch, free_port, publish, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from notify.app import build as build_notify
from notify.settings import Settings as NotifySettings

KEY = TokenIssuer()


@pytest.fixture(scope="module")
async def traced(test_env):
    exporter = InMemorySpanExporter()
    ports = {name: free_port() for name in ("gateway", "booking", "billing")}
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    common = {"jwt_public_key": KEY.public_pem}
    booking = test_env.settings(BookingSettings, database="booking_traced", http_port=ports["booking"], **common)
    billing = test_env.settings(BillingSettings, database="billing_traced", http_port=ports["billing"],
                                stub_webhook_url=f"{url['billing']}/webhooks/provider", stub_confirm_delay_s=0.05,
                                payout_scheduler_enabled=False, **common)
    notify = test_env.settings(NotifySettings, database="notify_traced", smtp_port=free_port(), **common)
    gateway = test_env.settings(GatewaySettings, database="gateway_traced", http_port=ports["gateway"],
                                signing_key_pem=KEY.private_pem, services={"booking": url["booking"], "billing": url["billing"]})
    telemetry.setup_tracing(gateway, exporter)
    async with running_service(build_booking(booking), test_env, http=True), \
            running_service(build_billing(billing), test_env, http=True), \
            running_service(build_notify(notify), test_env) as notify_service, \
            running_service(build_gateway(gateway), test_env, http=True) as gateway_service:
        yield gateway_service, notify_service, exporter


async def test_a_paid_booking_is_one_trace_across_the_platform(traced, test_env):
    gateway, notify, exporter = traced
    therapist, client = uuid.uuid4(), uuid.uuid4()
    for account, name in ((therapist, "Test Terapeut"), (client, "Test Klient")):
        await publish(test_env, ContactDetailsChanged(account_id=account, display_name=name, email=f"{account.hex[:8]}@example.org"))
    trace_id, client_span = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    traceparent = {"traceparent": f"00-{trace_id}-{client_span}-01"}
    as_client = KEY.headers(client, "client") | traceparent

    starts = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    await authorised_therapist(gateway.client, KEY, prefix="/api/booking", therapist_id=therapist)
    slot = (await gateway.client.post("/api/booking/slots", headers=KEY.headers(therapist, "therapist"),
                                      json={"starts_at": starts, "price_minor": 95000, "video": True})).json()
    booking = (await gateway.client.post(f"/api/booking/slots/{slot['id']}/reservations", headers=as_client)).json()

    async def payment():
        response = await gateway.client.get(f"/api/billing/payments/by-booking/{booking['id']}", headers=as_client)
        return response.json() if response.status_code == 200 else None

    paid = await wait_for(payment, what="the payment")
    await gateway.client.post(f"/api/billing/payments/{paid['id']}/pay", headers=as_client, json={"payment_method": "stub_card_ok"})

    async def confirmation_queued():
        return await fetch(notify.settings, "SELECT 1 FROM messages WHERE template = 'booking_confirmed_client'")

    await wait_for(confirmation_queued, timeout=20, what="notify to handle the confirmation")

    async def spans_of_the_trace():
        telemetry.setup_tracing(gateway.settings).force_flush()
        found = [s for s in exporter.get_finished_spans() if f"{s.context.trace_id:032x}" == trace_id]
        names = " | ".join(s.name for s in found)
        return found if "booking.booking_confirmed.v1 process" in names else None

    spans = await wait_for(spans_of_the_trace, what="notify's consumer span in the trace")
    names = " | ".join(s.name for s in spans)
    assert "/api/{service}/{path:path}" in names                     # the gateway
    assert "/slots/{slot_id}/reservations" in names                  # booking
    assert "/payments/{payment_id}/pay" in names                     # billing
    # the bus: each of these events has one consumer, so its span shows that service took part
    for consumed_by, event in (("billing", "booking.booking_requested.v1"), ("booking", "billing.payment_captured.v1"),
                               ("notify", "booking.booking_confirmed.v1")):
        assert f"{event} process" in names, f"no {consumed_by} consumer span in: {names}"
    ids = {s.context.span_id for s in spans}
    for span in spans:  # one tree: every span hangs from another span of it, or from the client's span
        assert span.parent is not None
        assert span.parent.span_id in ids or f"{span.parent.span_id:016x}" == client_span, span.name
