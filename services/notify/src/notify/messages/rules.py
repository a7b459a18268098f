"""Pure rules of what notify sends when."""

from __future__ import annotations

from datetime import datetime, timedelta


def group_notice_due(now: datetime, delay: timedelta, starts_at: datetime) -> datetime | None:
    """When a group-appointment notice goes (GR-3, NT-5): ``delay`` after the last change, so a burst of
    edits makes one notice — but never after the appointment has started (a change made just before it is
    told at once), and not at all for an appointment that has started or is over."""
    if starts_at <= now:
        return None
    return min(now + delay, starts_at)
