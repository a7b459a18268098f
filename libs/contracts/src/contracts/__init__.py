"""Typed events exchanged by the services over RabbitMQ, and shared value types.

One module per producer and major version (``contracts/booking/v1.py``). An event is a frozen pydantic
model whose ``event_type`` literal is also its routing key: ``<producer>.<event>.v<major>``. Events carry
ids, never personal identity numbers or clinical content.
"""

from contracts.envelope import Envelope, Event, event_registry, parse_event

__all__ = ["Envelope", "Event", "event_registry", "parse_event"]
