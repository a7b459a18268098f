"""Case numbers (LG-2): YYWWNNNN — the ISO year's last two digits, the ISO week, and a running number
within that week. One counter row per ISO week, incremented with a single upsert, so concurrent
requests never get the same number. The ISO calendar handles week 53 and the year boundary:
31 December 2026 is in 2026-W53 (2653....), 4 January 2027 in 2027-W01 (2701....).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, SmallInteger
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models import Base

SWEDEN = ZoneInfo("Europe/Stockholm")
MAX_PER_WEEK = 9999


class CaseCounter(Base):
    __tablename__ = "case_counters"

    iso_year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    iso_week: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class CaseNumbersExhausted(Exception):
    pass


def week_of(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def format_case_number(iso_year: int, iso_week: int, running: int) -> str:
    if not 1 <= running <= MAX_PER_WEEK:
        raise CaseNumbersExhausted(f"week {iso_year}-W{iso_week:02d} has used all {MAX_PER_WEEK} case numbers")
    return f"{iso_year % 100:02d}{iso_week:02d}{running:04d}"


async def next_case_number(session: AsyncSession, now: datetime | None = None) -> str:
    """The next number of the current Swedish week, atomically (one upsert; the row lock orders callers)."""
    iso_year, iso_week = week_of((now or datetime.now(UTC)).astimezone(SWEDEN).date())
    statement = insert(CaseCounter).values(iso_year=iso_year, iso_week=iso_week, last=1)
    statement = statement.on_conflict_do_update(index_elements=["iso_year", "iso_week"],
                                                set_={"last": CaseCounter.last + 1}).returning(CaseCounter.last)
    running = (await session.execute(statement)).scalar_one()
    return format_case_number(iso_year, iso_week, running)
