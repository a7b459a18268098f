"""The monthly payout run and statements.

A run for a month (once it has ended): every captured fee of a session up to that month that is held
or late-cancelled is earned (commission + therapist's share, posted to the ledger once); then each
therapist with a bank account is paid everything earned and not yet paid. A run exists once per month
(primary key) and takes a transaction-level advisory lock, so two replicas or a second click pay nothing
twice. Therapists without a bank account keep their earnings until a later run.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.bank import BankTransfers
from billing.ledger import rules as ledger
from billing.ledger.service import post
from billing.models import EarnedSession, Payment, Payout, PayoutRun, TherapistAccount
from billing.payouts import rules
from billing.settings import Settings
from kit.auth import Principal
from kit.problems import Problem, conflict, not_found

RUN_LOCK = 0x7061796F7574  # 'payout'


async def run_month(
    session: AsyncSession, settings: Settings, bank: BankTransfers, month: rules.Month, *,
    triggered_by: str, now: datetime | None = None,
) -> list[Payout] | None:
    """Pay the month; ``None`` when it had been paid already (then nothing happens)."""
    zone = ZoneInfo(settings.business_time_zone)
    now = now or datetime.now(UTC)
    if not rules.is_closed(month, now, zone):
        raise conflict("month-open", f"{month} has not ended yet; it can be paid out from {month.end(zone).date()}")
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RUN_LOCK})
    started = (
        await session.execute(
            insert(PayoutRun).values(month=str(month), triggered_by=triggered_by)
            .on_conflict_do_nothing().returning(PayoutRun.month)
        )
    ).first()
    if started is None:
        return None  # this month was paid already: nothing is paid twice
    await _earn(session, settings, month.end(zone))
    return await _pay(session, bank, month)


async def _earn(session: AsyncSession, settings: Settings, until: datetime) -> None:
    already = select(EarnedSession.payment_id)
    payments = (
        await session.execute(
            select(Payment, TherapistAccount.commission_bp)
            .outerjoin(TherapistAccount, TherapistAccount.therapist_id == Payment.therapist_id)
            .where(Payment.status == "captured", Payment.starts_at < until, Payment.id.not_in(already))
            .order_by(Payment.starts_at)
        )
    ).all()
    for payment, commission_bp in payments:
        if not rules.earns(payment.status, payment.cancelled_by, payment.therapist_paid_on_cancel):
            continue
        parts = ledger.split(payment.amount_minor, commission_bp if commission_bp is not None else settings.default_commission_bp)
        session.add(EarnedSession(payment_id=payment.id, therapist_id=payment.therapist_id, fee_minor=parts.fee,
                                  commission_minor=parts.commission, net_minor=parts.net, currency=payment.currency))
        await post(session, key=f"earned:{payment.id}", kind="earned", currency=payment.currency,
                   postings=ledger.earned(payment.therapist_id, parts), payment_id=payment.id,
                   therapist_id=payment.therapist_id)
    await session.flush()


async def _pay(session: AsyncSession, bank: BankTransfers, month: rules.Month) -> list[Payout]:
    owed = (
        await session.execute(
            select(EarnedSession.therapist_id, EarnedSession.currency, func.sum(EarnedSession.net_minor),
                   TherapistAccount.bank_account)
            .join(TherapistAccount, TherapistAccount.therapist_id == EarnedSession.therapist_id)
            .where(EarnedSession.payout_id.is_(None), TherapistAccount.bank_account.is_not(None))
            .group_by(EarnedSession.therapist_id, EarnedSession.currency, TherapistAccount.bank_account)
        )
    ).all()
    payouts = []
    for therapist_id, currency, amount, bank_account in owed:
        if amount <= 0:
            continue
        reference = await bank.transfer(to_account=bank_account, amount_minor=int(amount), currency=currency,
                                        idempotency_key=f"payout:{month}:{therapist_id}:{currency}")
        payout = Payout(id=uuid.uuid4(), month=str(month), therapist_id=therapist_id, amount_minor=int(amount),
                        currency=currency, bank_account=bank_account, bank_reference=reference)
        session.add(payout)
        await session.flush()
        await session.execute(
            update(EarnedSession)
            .where(EarnedSession.therapist_id == therapist_id, EarnedSession.currency == currency,
                   EarnedSession.payout_id.is_(None))
            .values(payout_id=payout.id)
        )
        await post(session, key=f"payout:{payout.id}", kind="payout", currency=currency,
                   postings=ledger.payout(therapist_id, int(amount)), therapist_id=therapist_id)
        payouts.append(payout)
    return payouts


async def statement(session: AsyncSession, payout_id: uuid.UUID,
                    principal: Principal) -> tuple[Payout, list[tuple[EarnedSession, Payment]]]:
    payout = await session.get(Payout, payout_id)
    if payout is None or not (payout.therapist_id == principal.account_id or principal.has("admin")):
        raise not_found("payout", payout_id)
    lines = (
        await session.execute(
            select(EarnedSession, Payment).join(Payment, Payment.id == EarnedSession.payment_id)
            .where(EarnedSession.payout_id == payout_id).order_by(Payment.starts_at)
        )
    ).all()
    return payout, [(earned, payment) for earned, payment in lines]


async def set_agreement(session: AsyncSession, therapist_id: uuid.UUID, commission_bp: int) -> TherapistAccount:
    if not 0 <= commission_bp <= 10_000:
        raise Problem(422, "validation-error", "commission_bp is between 0 and 10000 (basis points)")
    # one upsert: the bank-account consumer may create the same row at the same moment
    await session.execute(insert(TherapistAccount).values(therapist_id=therapist_id, commission_bp=commission_bp)
                          .on_conflict_do_update(index_elements=["therapist_id"], set_={"commission_bp": commission_bp}))
    account = await session.get(TherapistAccount, therapist_id, populate_existing=True)
    return account
