"""Pure payout rules: months in the platform's time zone, when a month may be paid, what a session earns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

#: A payout month, YYYY-MM, in this century (a year like 0000 or 9999 has no month after it to end in)
MONTH = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = MONTH.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a month; write YYYY-MM, 2000-01 to 2099-12")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, moment: datetime, zone: ZoneInfo) -> Month:
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start(self, zone: ZoneInfo) -> datetime:
        """The first instant of the month in ``zone`` (an aware datetime)."""
        return datetime(self.year, self.month, 1, tzinfo=zone)

    def end(self, zone: ZoneInfo) -> datetime:
        return self.next().start(zone)


def is_closed(month: Month, now: datetime, zone: ZoneInfo) -> bool:
    """A month can be paid out once it has ended in the platform's time zone."""
    return now >= month.end(zone)


def due_month(now: datetime, zone: ZoneInfo, payout_day: int) -> Month | None:
    """The month the scheduler should pay now: the previous month, from ``payout_day`` of this month on."""
    local = now.astimezone(zone)
    if local.day < payout_day:
        return None
    return Month(local.year, local.month).previous()


def payout_date(month: Month, payout_day: int) -> date:
    following = month.next()
    return date(following.year, following.month, payout_day)


def session_status(payment_status: str, cancelled_by: str | None, therapist_paid: bool | None,
                   starts_at: datetime, now: datetime) -> str:
    """How the report names a booked session."""
    if cancelled_by == "therapist":
        return "cancelled by therapist"
    if cancelled_by == "client":
        return "cancelled late (fee kept)" if therapist_paid else "cancelled early (refunded)"
    if payment_status in ("voided",):
        return "not paid (hold expired)"
    if payment_status in ("refund_pending", "refunded"):
        return "refunded"
    if payment_status != "captured":
        return "awaiting payment"
    return "held" if starts_at <= now else "upcoming"


def earns(payment_status: str, cancelled_by: str | None, therapist_paid: bool | None) -> bool:
    """A captured fee is earned (commission + therapist's share) unless the session was refunded."""
    if payment_status != "captured":
        return False
    return cancelled_by is None or bool(therapist_paid)
