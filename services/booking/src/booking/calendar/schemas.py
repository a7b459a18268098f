"""HTTP models of slots and the calendar."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SlotIn(BaseModel):
    starts_at: datetime = Field(description="With a UTC offset, e.g. 2026-12-01T09:00:00+01:00")
    length_minutes: int | None = Field(default=None, description="Default 45")
    price_minor: int = Field(ge=0, le=10_000_000)
    currency: str = Field(default="SEK", pattern=r"^[A-Z]{3}$")
    video: bool = False
    on_site: bool = True
    audience: Literal["everyone", "existing_clients", "invited"] = "everyone"
    invited_client_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SlotIn:
        if not (self.video or self.on_site):
            raise ValueError("a slot is by video, on site, or both")
        if (self.audience == "invited") != (self.invited_client_id is not None):
            raise ValueError("invited_client_id is given exactly when audience is 'invited'")
        return self


class SlotChange(BaseModel):
    """Move (new start), resize (new length) or change price/form/audience: only what is given changes."""

    starts_at: datetime | None = None
    length_minutes: int | None = None
    price_minor: int | None = Field(default=None, ge=0, le=10_000_000)
    video: bool | None = None
    on_site: bool | None = None


class SlotOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    therapist_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    price_minor: int
    currency: str
    video: bool
    on_site: bool
    audience: str
    invited_client_id: uuid.UUID | None
    status: str


class PublicSlotOut(BaseModel):
    """What a client sees of a free slot."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    price_minor: int
    currency: str
    video: bool
    on_site: bool


class CalendarEntry(BaseModel):
    slot: SlotOut
    booking_id: uuid.UUID | None = None
    booking_status: str | None = None
    client_id: uuid.UUID | None = None


class WeekOut(BaseModel):
    week: str
    time_zone: str
    entries: list[CalendarEntry]
    cancelled: list[dict]


class FeedOut(BaseModel):
    url: str
