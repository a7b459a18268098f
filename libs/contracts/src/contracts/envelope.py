"""The envelope every event travels in, and the base class of every event.

Compatibility rules (ARCHITECTURE.md, "Events"):
- consumers ignore unknown fields, so a producer may add an optional field without a new version;
- anything breaking is a new module ``v2`` published beside ``v1`` until every consumer has moved;
- ``tests/test_schemas.py`` snapshots every contract's JSON schema, so a breaking change cannot slip in.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

_registry: dict[str, type[Event]] = {}


class Event(BaseModel):
    """Base of every event payload. Subclasses declare ``event_type: Literal["<producer>.<name>.v<major>"]``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: str
    #: The aggregate the event is about; per-aggregate order is kept by the outbox relay.
    aggregate_key: ClassVar[str | None] = None
    #: An exchange outside parties consume, to which this event is forwarded too (e.g. partner.logistics)
    forwarded_to: ClassVar[str | None] = None
    #: Payload fields that are secrets (an SMS code, a temporary password): the relay removes them from the
    #: stored outbox row once the broker confirmed the message, so they are never kept at rest in clear.
    secret_fields: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("event_type")
        default = field.default if field else None
        if not isinstance(default, str) or default.count(".") != 2 or not default.rsplit(".", 1)[1][1:].isdigit():
            raise TypeError(f"{cls.__name__}.event_type must default to '<producer>.<event>.v<major>'")
        if default in _registry and _registry[default] is not cls:
            raise TypeError(f"event type {default} is declared twice")
        _registry[default] = cls

    @classmethod
    def type_name(cls) -> str:
        return cls.model_fields["event_type"].default

    @property
    def producer(self) -> str:
        return self.event_type.split(".", 1)[0]

    @property
    def major_version(self) -> int:
        return int(self.event_type.rsplit(".v", 1)[1])

    @property
    def routing_key(self) -> str:
        return self.event_type

    def aggregate_id(self) -> str | None:
        return str(getattr(self, self.aggregate_key)) if self.aggregate_key else None


class Envelope(BaseModel):
    """What travels on the bus: metadata plus the event's payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    event_type: str
    version: int
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Envelope:
        return cls(
            event_id=event_id or uuid.uuid4(),
            event_type=event.event_type,
            version=event.major_version,
            producer=event.producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=event.model_dump(mode="json"),
        )

    def open(self) -> Event:
        """The typed event inside; raises KeyError for an unknown type, ValidationError for a bad payload."""
        return event_registry()[self.event_type].model_validate(self.payload)


def event_registry() -> dict[str, type[Event]]:
    """Every declared event type, importing all contract modules first."""
    from contracts import catalogue  # noqa: F401  (imports every producer module)

    return dict(_registry)


def parse_event(body: bytes | str) -> tuple[Envelope, Event]:
    envelope = Envelope.model_validate_json(body)
    return envelope, envelope.open()
