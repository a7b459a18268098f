"""Pure portal rules: measurement types with plausible ranges, the report length, "today and tomorrow"."""

from __future__ import annotations

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
