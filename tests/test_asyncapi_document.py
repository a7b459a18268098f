"""docs/asyncapi.json is generated from libs/contracts and the services' consumers, and is current."""

from __future__ import annotations

import json
from pathlib import Path

from kit.asyncapi import document

DOC = Path(__file__).resolve().parents[1] / "docs" / "asyncapi.json"


def test_committed_document_is_current():
    assert json.loads(DOC.read_text()) == document(), "docs/asyncapi.json is stale: run `make asyncapi`"


def test_every_channel_names_its_producer_and_carries_the_envelope():
    doc = document()
    assert doc["asyncapi"] == "3.0.0"
    forwarded = set()
    for name, channel in doc["channels"].items():
        exchange = channel["bindings"]["amqp"]["exchange"]["name"]
        if exchange == "events":
            assert f"Produced by {name.split('.')[0]}" in channel["description"]
        else:  # the partner exchange: logistics events forwarded to other regions (LG-19)
            assert exchange == "partner.logistics" and "no personal identity numbers" in channel["description"]
            forwarded.add(name.split(": ", 1)[1])
    assert forwarded == {f"logistics.{name}.v1" for name in (
        "order_registered", "order_delivered", "order_cancelled", "individual_status_changed", "pickup_created", "pickup_done",
        "return_done", "activity_opened", "activity_closed")}
    booking_requested = doc["components"]["schemas"]["BookingRequestedEnvelope"]
    assert {"event_id", "event_type", "correlation_id", "payload"} <= set(booking_requested["properties"])
