"""Events logistics publishes, major version 1. Every one is partner-safe (LG-19): it is forwarded to the
``partner.logistics`` exchange for other regions, so it carries no personal identity number, no name
and no address; the recipient appears only as ``recipient_ref``, a pseudonym (HMAC of the recipient's
id with a key logistics keeps) that is stable for one recipient and says nothing about who it is."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from contracts.envelope import Event

PARTNER_EXCHANGE = "partner.logistics"


class OrderedArticle(BaseModel):
    article_number: str | None  # None for a manual prescription outside the assortment
    quantity: int
    warehouse: str | None
    #: for invoicing (BL-8): delivered from the aid centre or an own store, by whom, at what price
    source: str | None = None
    seller: str | None = None
    debit_form: str | None = None
    unit_price_minor: int | None = None
    currency: str = "SEK"
    #: the individual-marked aids the line delivered (a rented one is invoiced as rent until it comes back)
    individual_numbers: list[str] = []


class OrderRegistered(Event):
    event_type: Literal["logistics.order_registered.v1"] = "logistics.order_registered.v1"
    aggregate_key = "order_id"
    forwarded_to = PARTNER_EXCHANGE

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
    forwarded_to = PARTNER_EXCHANGE

    order_id: UUID
    case_number: str
    service_unit: str
    recipient_ref: str
    lines: list[OrderedArticle]
    delivered_at: datetime
    payer: str | None = None  # the municipality that pays: its directory code (billing maps it to the organisation)
    our_reference: str | None = None  # the payer's reference, printed on the invoice


class OrderCancelled(Event):
    event_type: Literal["logistics.order_cancelled.v1"] = "logistics.order_cancelled.v1"
    aggregate_key = "order_id"
    forwarded_to = PARTNER_EXCHANGE

    order_id: UUID
    case_number: str
    service_unit: str


class IndividualStatusChanged(Event):
    event_type: Literal["logistics.individual_status_changed.v1"] = "logistics.individual_status_changed.v1"
    aggregate_key = "individual_id"
    forwarded_to = PARTNER_EXCHANGE

    individual_id: UUID
    individual_number: str
    article_number: str
    status: str
    recipient_ref: str | None = None


class PickupCreated(Event):
    event_type: Literal["logistics.pickup_created.v1"] = "logistics.pickup_created.v1"
    aggregate_key = "pickup_id"
    forwarded_to = PARTNER_EXCHANGE

    pickup_id: UUID
    case_number: str
    reason: str
    service_unit: str
    recipient_ref: str
    individual_numbers: list[str]


class PickupDone(Event):
    event_type: Literal["logistics.pickup_done.v1"] = "logistics.pickup_done.v1"
    aggregate_key = "pickup_id"
    forwarded_to = PARTNER_EXCHANGE

    pickup_id: UUID
    case_number: str


class ReturnDone(Event):
    """Purchased aids returned to an own buffer store (or scrapped there)."""

    event_type: Literal["logistics.return_done.v1"] = "logistics.return_done.v1"
    aggregate_key = "return_id"
    forwarded_to = PARTNER_EXCHANGE

    return_id: UUID
    recipient_ref: str
    warehouse: str
    scrapped: bool
    individual_numbers: list[str]


class ActivityOpened(Event):
    event_type: Literal["logistics.activity_opened.v1"] = "logistics.activity_opened.v1"
    aggregate_key = "activity_id"
    forwarded_to = PARTNER_EXCHANGE

    activity_id: UUID
    case_number: str
    activity_type: str
    priority: str
    service_unit: str
    individual_number: str | None = None


class ActivityClosed(Event):
    event_type: Literal["logistics.activity_closed.v1"] = "logistics.activity_closed.v1"
    aggregate_key = "activity_id"
    forwarded_to = PARTNER_EXCHANGE

    activity_id: UUID
    case_number: str


#: Every event of this module goes to partner regions too
PARTNER_EVENTS = [OrderRegistered, OrderDelivered, OrderCancelled, IndividualStatusChanged, PickupCreated, PickupDone, ReturnDone,
                  ActivityOpened, ActivityClosed]
