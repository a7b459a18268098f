"""Events the gateway publishes, major version 1."""

from typing import Literal
from uuid import UUID

from contracts.envelope import Event

Language = Literal["sv", "nb", "nl", "en"]


class ContactDetailsChanged(Event):
    """An account's contact details, for notify's recipient directory. No identity numbers."""

    event_type: Literal["gateway.contact_details_changed.v1"] = "gateway.contact_details_changed.v1"
    aggregate_key = "account_id"

    account_id: UUID
    display_name: str
    email: str | None = None
    phone: str | None = None
    language: Language = "sv"
