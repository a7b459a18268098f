"""The financial report: every booked session in a period, as rows and as an .xlsx file a clerk opens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.ledger import rules as ledger
from billing.models import EarnedSession, Payment, Payout, Person, TherapistAccount
from billing.payouts import rules
from billing.reports.excel import workbook
from billing.settings import Settings

#: Price is what the session was booked for; Fee is what was kept of it (nothing for a refunded, unpaid or
#: expired one), so the totals of Fee, Commission and Net are what the period earned.
HEADERS = ["Date", "Time", "Client", "Price", "Fee", "Commission", "Net", "Currency", "Status", "Payout"]


@dataclass(frozen=True)
class SessionRow:
    starts_at: datetime
    client: str
    price: int
    fee: int
    commission: int
    net: int
    currency: str
    status: str
    payout: str


async def session_rows(
    session: AsyncSession, settings: Settings, *, start: date, end: date, therapist_id: uuid.UUID | None,
    now: datetime | None = None,
) -> list[SessionRow]:
    """Sessions starting on ``start``..``end`` (inclusive, local dates). Commission and net are the
    earned split when earned, else what the split would be (zero when nothing is kept)."""
    zone = ZoneInfo(settings.business_time_zone)
    now = now or datetime.now(UTC)
    lower = datetime.combine(start, datetime.min.time(), zone)
    upper = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
    query = (
        select(Payment, Person.display_name, EarnedSession, Payout, TherapistAccount.commission_bp)
        .outerjoin(Person, Person.account_id == Payment.client_id)
        .outerjoin(EarnedSession, EarnedSession.payment_id == Payment.id)
        .outerjoin(Payout, Payout.id == EarnedSession.payout_id)
        .outerjoin(TherapistAccount, TherapistAccount.therapist_id == Payment.therapist_id)
        .where(Payment.starts_at >= lower, Payment.starts_at < upper)
        .order_by(Payment.starts_at)
    )
    if therapist_id is not None:
        query = query.where(Payment.therapist_id == therapist_id)
    rows = []
    for payment, client_name, earned, payout, commission_bp in (await session.execute(query)).all():
        status = rules.session_status(payment.status, payment.cancelled_by, payment.therapist_paid_on_cancel,
                                      payment.starts_at, now)
        if earned is not None:
            fee, commission, net = earned.fee_minor, earned.commission_minor, earned.net_minor
        elif rules.earns(payment.status, payment.cancelled_by, payment.therapist_paid_on_cancel):
            parts = ledger.split(payment.amount_minor, commission_bp if commission_bp is not None else settings.default_commission_bp)
            fee, commission, net = parts.fee, parts.commission, parts.net
        else:  # refunded, cancelled by the therapist, never paid: nothing was kept
            fee, commission, net = 0, 0, 0
        rows.append(SessionRow(
            starts_at=payment.starts_at.astimezone(zone), client=client_name or f"client {str(payment.client_id)[:8]}",
            price=payment.amount_minor, fee=fee, commission=commission, net=net, currency=payment.currency, status=status,
            payout=f"{payout.month} ({payout.bank_reference})" if payout else "",
        ))
    return rows


def to_xlsx(rows: list[SessionRow], *, title: str) -> bytes:
    """One sheet: a header row, one row per session, a totals row. Amounts in major units with two
    decimals (formatted numbers, not text), dates as real dates, so sums and filters work."""
    return workbook(title, HEADERS, [
        [row.starts_at.date(), row.starts_at.strftime("%H:%M"), row.client, row.price / 100, row.fee / 100,
         row.commission / 100, row.net / 100, row.currency, row.status, row.payout] for row in rows],
        dates=[0], money=[3, 4, 5, 6], total_of=[4, 5, 6], widths=[12, 7, 28, 12, 12, 12, 12, 9, 26, 30], sheet="Sessions")
