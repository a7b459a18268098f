"""HTTP models of therapists."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ApplicationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    licence_number: str = Field(min_length=3, max_length=40)
    agreement_version: str = Field(min_length=1, max_length=40, description="The agreement version accepted")


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: str
    name: str
    licence_number: str
    review_note: str | None


class ReviewIn(BaseModel):
    decision: Literal["authorise", "reject"]
    note: str | None = Field(default=None, max_length=1000)


class ProfileIn(BaseModel):
    title: str | None = Field(default=None, max_length=100)
    presentation: str | None = None
    personal_information: str | None = Field(default=None, max_length=2000)
    fee_minor: int | None = Field(default=None, ge=0, le=10_000_000)
    currency: str = Field(default="SEK", pattern=r"^[A-Z]{3}$")
    phone: str | None = Field(default=None, max_length=40)
    experience: str | None = Field(default=None, max_length=4000)
    way_of_working: str | None = Field(default=None, max_length=4000)
    first_meeting: str | None = Field(default=None, max_length=4000)
    education: str | None = Field(default=None, max_length=4000)
    languages: list[str] = Field(default_factory=list, max_length=20)
    bank_account: str | None = None
    time_zone: str = "Europe/Stockholm"


class ReceptionIn(BaseModel):
    video: bool
    on_site: bool
    address: str | None = Field(default=None, max_length=300)


class ProfileOut(ProfileIn):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    status: str
    video: bool
    on_site: bool
    reception_address: str | None


class PublicTherapist(BaseModel):
    """BK-4: the only things anyone may see."""

    id: uuid.UUID
    name: str
    title: str | None
    presentation: str | None
    reception_address: str | None
    fee_minor: int | None
    currency: str


class WeightsIn(BaseModel):
    weights: dict[str, int]


class ReasonsIn(BaseModel):
    reasons: list[str]
