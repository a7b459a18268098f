"""Writing ledger transactions. One transaction per business fact, keyed so it is written once."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.ledger.rules import Posting, balanced
from billing.models import LedgerEntry, LedgerTransaction


async def post(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    currency: str,
    postings: list[Posting],
    payment_id: uuid.UUID | None = None,
    therapist_id: uuid.UUID | None = None,
) -> bool:
    """Record a balanced transaction once per ``key``. False when it already exists."""
    if not balanced(postings):
        raise ValueError(f"ledger transaction {key} does not balance: {postings}")
    transaction_id = (
        await session.execute(
            insert(LedgerTransaction)
            .values(id=uuid.uuid4(), key=key, kind=kind, payment_id=payment_id, therapist_id=therapist_id)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(LedgerTransaction.id)
        )
    ).scalar_one_or_none()
    if transaction_id is None:
        return False
    session.add_all(
        LedgerEntry(transaction_id=transaction_id, account=account, amount_minor=amount, currency=currency)
        for account, amount in postings
        if amount != 0
    )
    await session.flush()
    return True


async def balances(session: AsyncSession, currency: str | None = None) -> dict[str, int]:
    query = select(LedgerEntry.account, func.sum(LedgerEntry.amount_minor)).group_by(LedgerEntry.account)
    if currency:
        query = query.where(LedgerEntry.currency == currency)
    return {account: int(total) for account, total in (await session.execute(query)).all()}
