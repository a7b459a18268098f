"""Pure rules of the appointment book: template occurrences in a time zone, the delete window, seats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DELETE_WINDOW = timedelta(minutes=5)  # GR-5
MAX_GENERATION_DAYS = 366


class AppointmentRuleError(ValueError):
    pass


@dataclass(frozen=True)
class Placement:
    """A template entry: an appointment type on a weekday (0 = Monday) at a local time."""

    key: str
    weekday: int
    starts: time
    length_minutes: int


@dataclass(frozen=True)
class Occurrence:
    key: str  # unique per placement and local date: generating twice finds the same key
    starts_at: datetime
    ends_at: datetime


def local_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The instant a wall-clock time happens on ``day`` in ``zone``. A time skipped by the spring change
    (02:30 on the last Sunday of March in Oslo) moves forward by the gap, as calendars do; a time that
    happens twice in autumn is the first one."""
    # fold=0 reads a skipped time with the offset before the change (so it lands after the gap) and a
    # repeated time as its first occurrence (PEP 495)
    return datetime.combine(day, wall, tzinfo=zone).replace(fold=0).astimezone(UTC)


def occurrences(placements: list[Placement], first: date, last: date, zone: ZoneInfo) -> list[Occurrence]:
    """Every placement on every matching day from ``first`` to ``last`` inclusive, in UTC. The length is
    real elapsed time, so a 60-minute group across a DST change still lasts 60 minutes."""
    if last < first:
        raise AppointmentRuleError("the period ends before it starts")
    if (last - first).days >= MAX_GENERATION_DAYS:
        raise AppointmentRuleError(f"generate at most {MAX_GENERATION_DAYS} days at a time")
    found = []
    day = first
    while day <= last:
        for placement in placements:
            if placement.weekday == day.weekday():
                starts_at = local_to_utc(day, placement.starts, zone)
                found.append(Occurrence(f"{placement.key}:{day.isoformat()}", starts_at,
                                        starts_at + timedelta(minutes=placement.length_minutes)))
        day += timedelta(days=1)
    return sorted(found, key=lambda o: o.starts_at)


def may_delete(created_at: datetime, now: datetime) -> bool:
    """GR-5: an appointment can be deleted within five minutes of creating it; afterwards it is cancelled."""
    return now - created_at <= DELETE_WINDOW


@dataclass(frozen=True)
class Settlement:
    """What HELFO pays (``refund``) and what the patient pays (``patient_share``) of the tariffs' fee."""

    fee_minor: int
    patient_share_minor: int
    refund_minor: int


def known_tariffs(codes: list[str], tariffs: dict[str, dict[str, int]]) -> None:
    unknown = [c for c in codes if c not in tariffs]
    if unknown:
        raise AppointmentRuleError(f"unknown HELFO tariff codes: {', '.join(unknown)}")


def settle(codes: list[str], tariffs: dict[str, dict[str, int]], *, exempt: bool) -> Settlement:
    """The tariffs' fee split between the patient and HELFO; with an exemption card (frikort, a guarantee
    code) the patient pays nothing and HELFO refunds all."""
    known_tariffs(codes, tariffs)
    fee = sum(tariffs[c]["fee_minor"] for c in codes)
    share = 0 if exempt else sum(tariffs[c]["patient_share_minor"] for c in codes)
    return Settlement(fee, share, fee - share)


def check_seats(seats: int, kind: str, booked: int) -> None:
    if kind == "single" and seats != 1:
        raise AppointmentRuleError("a single appointment has one seat")
    if kind == "group" and seats < 2:
        raise AppointmentRuleError("a group appointment has at least two seats")
    if seats < booked:
        raise AppointmentRuleError(f"{booked} patients are booked: seats cannot go below that")
