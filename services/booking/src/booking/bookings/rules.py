"""The 24-hour rule (BK-17, BK-18) as one pure function.

- The therapist cancels: the client gets everything back; the therapist gets nothing.
- The client cancels MORE than 24 hours before the start: full automatic refund, nothing to the therapist.
- The client cancels 24 hours or less before the start (exactly 24 h included): the full fee is kept and
  the therapist is paid as if the session took place.

It compares instants, never wall-clock times: "24 hours" is 24 real hours, so across a daylight-saving
change the local clock time of the deadline differs by an hour from the session's start time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

FREE_CANCELLATION = timedelta(hours=24)


@dataclass(frozen=True)
class CancellationOutcome:
    refund: bool
    therapist_paid: bool


def cancellation_outcome(
    cancelled_by: Literal["client", "therapist"], starts_at: datetime, now: datetime
) -> CancellationOutcome:
    if starts_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("compare aware instants only")
    if cancelled_by == "therapist":
        return CancellationOutcome(refund=True, therapist_paid=False)
    # Subtract in UTC: Python subtracts two datetimes of the same zone by their wall clocks, which is
    # off by an hour across a daylight-saving change.
    if starts_at.astimezone(UTC) - now.astimezone(UTC) > FREE_CANCELLATION:
        return CancellationOutcome(refund=True, therapist_paid=False)
    return CancellationOutcome(refund=False, therapist_paid=True)


def can_book(audience: str, invited_client_id: object, client_id: object, is_existing_client: bool) -> bool:
    """Who may take a free slot: everyone, only the therapist's existing clients, or the one invited."""
    if audience == "everyone":
        return True
    if audience == "existing_clients":
        return is_existing_client
    return invited_client_id == client_id
