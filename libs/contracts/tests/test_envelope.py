"""The envelope and the rules every event type follows."""

from __future__ import annotations

import uuid
from typing import Literal

import pytest
from pydantic import ValidationError

from contracts import Envelope, Event, parse_event
from contracts.gateway.v1 import ContactDetailsChanged


def test_wrap_and_open_round_trip():
    event = ContactDetailsChanged(account_id=uuid.uuid4(), display_name="Test Person", language="nb")
    envelope = Envelope.wrap(event)
    assert (envelope.producer, envelope.version, envelope.event_type) == ("gateway", 1, "gateway.contact_details_changed.v1")
    again, opened = parse_event(envelope.model_dump_json())
    assert again == envelope and opened == event


def test_consumers_ignore_unknown_fields():
    envelope = Envelope.wrap(ContactDetailsChanged(account_id=uuid.uuid4(), display_name="Test Person"))
    body = envelope.model_dump(mode="json")
    body["added_later"] = 1
    body["payload"]["also_added_later"] = "x"
    _, opened = parse_event(__import__("json").dumps(body))
    assert opened.display_name == "Test Person"


def test_events_are_frozen():
    event = ContactDetailsChanged(account_id=uuid.uuid4(), display_name="Test Person")
    with pytest.raises(ValidationError):
        event.display_name = "changed"


def test_unknown_event_type_cannot_be_opened():
    envelope = Envelope(event_type="nobody.nothing.v1", version=1, producer="nobody", payload={})
    with pytest.raises(KeyError):
        envelope.open()


def test_event_type_must_name_producer_event_and_version():
    with pytest.raises(TypeError, match="producer"):
        class Bad(Event):  # noqa: F841
            event_type: Literal["no-version"] = "no-version"


def test_an_event_type_is_declared_once():
    with pytest.raises(TypeError, match="declared twice"):
        class Again(Event):  # noqa: F841
            event_type: Literal["gateway.contact_details_changed.v1"] = "gateway.contact_details_changed.v1"
