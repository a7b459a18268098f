"""Pure portal rules: who reaches a client's records and as what, measurement types with plausible ranges,
the report length, "today and tomorrow"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

REPORT_MAX_LENGTH = 4000
PLAN_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class MeasurementType:
    code: str
    name: str
    unit: str
    minimum: float
    maximum: float


MEASUREMENT_TYPES = {t.code: t for t in (
    MeasurementType("weight", "Weight", "kg", 1, 400),
    MeasurementType("bp_systolic", "Blood pressure, systolic", "mmHg", 50, 260),
    MeasurementType("bp_diastolic", "Blood pressure, diastolic", "mmHg", 30, 160),
    MeasurementType("glucose", "Blood glucose", "mmol/L", 1, 35),
    MeasurementType("pain", "Pain score", "0–10", 0, 10),
    MeasurementType("heart_rate", "Heart rate", "beats/min", 20, 250),
    MeasurementType("temperature", "Body temperature", "°C", 30, 45),
)}


class RuleError(ValueError):
    pass


def check_measurement(code: str, value: float) -> MeasurementType:
    kind = MEASUREMENT_TYPES.get(code)
    if kind is None:
        raise RuleError(f"unknown measurement type {code!r}; known: {', '.join(sorted(MEASUREMENT_TYPES))}")
    if not kind.minimum <= value <= kind.maximum:
        raise RuleError(f"{kind.name} must be between {kind.minimum:g} and {kind.maximum:g} {kind.unit}")
    return kind


def day_window(now: datetime, zone: str, days_ahead: int) -> tuple[datetime, datetime]:
    """The local calendar day ``days_ahead`` after ``now``'s day, as instants (DST-safe)."""
    tz = ZoneInfo(zone)
    local_day: date = now.astimezone(tz).date() + timedelta(days=days_ahead)
    return datetime.combine(local_day, time.min, tz), datetime.combine(local_day + timedelta(days=1), time.min, tz)


def is_pdf(data: bytes) -> bool:
    return data.startswith(b"%PDF-")


#: what each way of reaching a client's records may do besides reading them
CLIENT, REPRESENTATIVE, COORDINATOR, ADMIN = "client", "representative", "care_coordinator", "admin"


def relation(*, account_id: uuid.UUID, acting_for: uuid.UUID | None, admin: bool, client_id: uuid.UUID,
             client_is_member: bool, held: set[str]) -> str | None:
    """How the caller reaches this client's records, or ``None``: the decision of PT-7 from the directory.

    ``held`` are the roles the caller holds in the client's organisation, ``client_is_member`` whether the client
    still holds "client" there (a record belongs to that organisation only while they do). The client reaches
    themself; a representative only the client their session acts for (the token's ``act``) *and* only while
    they hold "representative" in that client's organisation (the claim alone is not enough); a coordinator
    every client of an organisation they coordinate; an admin reads everything."""
    if admin:
        return ADMIN
    if not client_is_member:
        return None
    if account_id == client_id and CLIENT in held:
        return CLIENT
    if acting_for is not None:  # a representative's session: only the client it acts for, nothing else
        return REPRESENTATIVE if acting_for == client_id and REPRESENTATIVE in held else None
    if COORDINATOR in held:
        return COORDINATOR
    return None


def refusal_reason(*, exists: bool, acting_for: uuid.UUID | None, client_id: uuid.UUID) -> str:
    """Why a reach was refused, for the audit only (the caller always gets the same 404)."""
    if not exists:
        return "no such client"
    if acting_for is not None and acting_for != client_id:
        return "a representative reaches only the client chosen for this session"
    if acting_for is not None:
        return "not a representative in the client's organisation"
    return "not the client, their representative or a coordinator of their organisation"
