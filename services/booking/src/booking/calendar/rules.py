"""Pure calendar rules: slot lengths and times, ISO weeks in a time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_LENGTH = timedelta(minutes=45)
MIN_LENGTH = timedelta(minutes=10)
MAX_LENGTH = timedelta(hours=8)


class SlotRuleError(ValueError):
    pass


def slot_times(starts_at: datetime, length_minutes: int | None, now: datetime) -> tuple[datetime, datetime]:
    """Start and end of a new or changed slot; refuses naive times, the past and odd lengths."""
    if starts_at.tzinfo is None:
        raise SlotRuleError("starts_at needs a time zone offset (e.g. 2026-12-01T09:00:00+01:00)")
    length = timedelta(minutes=length_minutes) if length_minutes is not None else DEFAULT_LENGTH
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise SlotRuleError(f"a slot lasts between {MIN_LENGTH.seconds // 60} minutes and {MAX_LENGTH.seconds // 3600} hours")
    if starts_at <= now:
        raise SlotRuleError("a slot starts in the future")
    return starts_at, starts_at + length


def week_bounds(iso_week: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``2026-W48`` → the week's first and last instant (Monday 00:00 to next Monday 00:00, local)."""
    try:
        year, week = iso_week.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError as exc:
        raise SlotRuleError(f"{iso_week!r} is not an ISO week like 2026-W48") from exc
    start = datetime.combine(monday, datetime.min.time(), zone)
    return start, datetime.combine(monday + timedelta(days=7), datetime.min.time(), zone)
