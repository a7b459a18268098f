"""Request and response models of the appointment book."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, field_validator, model_validator

from booking.journal.rules import PROBLEM_CODE

TARIFF_CODE = r"^[A-Za-z0-9]{1,10}$"


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Oslo)") from exc
    return value


TimeZone = Annotated[str, AfterValidator(_zone)]


class TypeIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    length_minutes: int = Field(ge=5, le=720)
    kind: Literal["single", "group"]
    seats: int = Field(default=1, ge=1, le=200, description="Seats of a group type; a single type has one")
    bookable_online: bool = False
    notifications: bool = True
    helfo: bool = Field(default=False, description="Settled with HELFO tariffs (takster)")
    tariff_codes: list[str] = Field(default=[], max_length=10)
    extra_fee_minor: int = Field(default=0, ge=0, description="A custom extra fee in øre")
    currency: str = Field(default="NOK", pattern=r"^[A-Z]{3}$")

    @field_validator("tariff_codes")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not re.match(TARIFF_CODE, c)]
        if bad:
            raise ValueError(f"not tariff codes: {', '.join(bad)}")
        return codes

    @model_validator(mode="after")
    def _consistent(self) -> TypeIn:
        if self.kind == "single" and self.seats != 1:
            raise ValueError("a single appointment type has one seat")
        if self.kind == "group" and self.seats < 2:
            raise ValueError("a group appointment type has at least two seats")
        if self.tariff_codes and not self.helfo:
            raise ValueError("tariff codes are HELFO tariffs: tick helfo, or use extra_fee_minor for a custom fee")
        return self


class TypeOut(TypeIn):
    id: uuid.UUID
    #: the clinic whose type it is
    organisation_id: uuid.UUID | None = None


class EntryIn(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    starts: time = Field(description="Local wall-clock time, e.g. 09:30")
    type_id: uuid.UUID


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    time_zone: TimeZone = "Europe/Oslo"
    entries: list[EntryIn] = Field(min_length=1, max_length=500)


class TemplateOut(TemplateIn):
    id: uuid.UUID


class GenerateIn(BaseModel):
    first: date
    last: date


class GenerateOut(BaseModel):
    created: int
    skipped: int = Field(description="Occurrences already generated, or that would overlap an existing slot or appointment")


class AppointmentIn(BaseModel):
    type_id: uuid.UUID
    starts_at: AwareDatetime
    length_minutes: int | None = Field(default=None, ge=5, le=720)
    seats: int | None = Field(default=None, ge=1, le=200)
    time_zone: TimeZone = "Europe/Oslo"
    note: str | None = Field(default=None, max_length=2000)
    patient_ids: list[uuid.UUID] = Field(default=[], max_length=200)


class AppointmentChange(BaseModel):
    """GR-4: any of type, seats, time (move), length (extend) and note."""

    type_id: uuid.UUID | None = None
    seats: int | None = Field(default=None, ge=1, le=200)
    starts_at: AwareDatetime | None = None
    length_minutes: int | None = Field(default=None, ge=5, le=720)
    note: str | None = Field(default=None, max_length=2000)


class CopyIn(BaseModel):
    starts_at: AwareDatetime


class PatientsIn(BaseModel):
    patient_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)


class ClosingPatient(BaseModel):
    """Untick ``attended`` or ``bill`` for a patient; HELFO's problem code and guarantee (exemption) code."""

    patient_id: uuid.UUID
    attended: bool = True
    bill: bool = True
    problem_code: str | None = Field(default=None, pattern=PROBLEM_CODE)
    guarantee_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,10}$")


class CloseIn(BaseModel):
    note: str = Field(min_length=1, max_length=20_000, description="The shared group note")
    patients: list[ClosingPatient] = Field(default=[], description="Only the patients to change; all others attended and billed")


class PatientOut(BaseModel):
    patient_id: uuid.UUID
    name: str | None
    status: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    attended: bool | None
    billed: bool | None


class AppointmentOut(BaseModel):
    id: uuid.UUID
    type_id: uuid.UUID
    type_name: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    seats: int
    note: str | None
    status: str
    created_at: datetime
    patients: list[PatientOut]
    #: the clinic whose appointment it is
    organisation_id: uuid.UUID | None = None


class ClaimLine(BaseModel):
    patient_id: uuid.UUID
    tariff_codes: list[str]
    problem_code: str | None
    guarantee_code: str | None
    fee_minor: int
    patient_share_minor: int
    refund_minor: int


class PatientFound(BaseModel):
    patient_id: uuid.UUID
    name: str
