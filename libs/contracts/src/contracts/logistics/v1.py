"""Events logistics publishes, major version 1. Every one is partner-safe (LG-19): it is forwarded to the
``partner.logistics`` exchange for other regions, so it carries no personal identity number, no name
and no address; the recipient appears only as ``recipient_ref``, a pseudonym (HMAC of the recipient's
id with a key logistics keeps) that is stable for one recipient and says nothing about who it is."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from contracts.envelope import Event


class OrderedArticle(BaseModel):
    article_number: str | None  # None for a manual prescription outside the assortment
    quantity: int
    warehouse: str | None


class OrderRegistered(Event):
    event_type: Literal["logistics.order_registered.v1"] = "logistics.order_registered.v1"
    aggregate_key = "order_id"

    order_id: UUID
    case_number: str
    service_unit: str
    recipient_ref: str
    lines: list[OrderedArticle]
    planned_delivery: date | None


class OrderDelivered(Event):
    """The aids are with the recipient; billing turns the lines into invoice specifications (BL-8)."""

    event_type: Literal["logistics.order_delivered.v1"] = "logistics.order_delivered.v1"
    aggregate_key = "order_id"

    order_id: UUID
    case_number: str
    service_unit: str
    recipient_ref: str
    lines: list[OrderedArticle]
    delivered_at: datetime


class OrderCancelled(Event):
    event_type: Literal["logistics.order_cancelled.v1"] = "logistics.order_cancelled.v1"
    aggregate_key = "order_id"

    order_id: UUID
    case_number: str
    service_unit: str


class IndividualStatusChanged(Event):
    event_type: Literal["logistics.individual_status_changed.v1"] = "logistics.individual_status_changed.v1"
    aggregate_key = "individual_id"

    individual_id: UUID
    individual_number: str
    article_number: str
    status: str
    recipient_ref: str | None = None


#: Every event of this module goes to partner regions too
PARTNER_EVENTS = [OrderRegistered, OrderDelivered, OrderCancelled, IndividualStatusChanged]
