"""Invoice-specification use cases: lines from delivered logistics orders, grouped into one
specification per payer, month, type and seller; found by payer and period, type or "our reference"."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import InvoiceCounter, InvoiceSpecification, Rental, SpecificationLine
from billing.specifications import rules
from contracts import Envelope
from contracts.logistics.v1 import OrderDelivered
from kit.problems import invalid, not_found

SWEDEN = ZoneInfo("Europe/Stockholm")


async def _specification(session: AsyncSession, payer: str, period: date, kind: str, seller: str) -> InvoiceSpecification:
    found = (await session.execute(select(InvoiceSpecification).where(
        InvoiceSpecification.payer == payer, InvoiceSpecification.period == period, InvoiceSpecification.kind == kind,
        InvoiceSpecification.seller == seller).with_for_update())).scalar_one_or_none()
    if found is not None:
        return found
    running = (await session.execute(insert(InvoiceCounter).values(period=period, last=1).on_conflict_do_update(
        index_elements=["period"], set_={"last": InvoiceCounter.last + 1}).returning(InvoiceCounter.last))).scalar_one()
    await session.execute(insert(InvoiceSpecification).values(
        id=uuid.uuid4(), invoice_number=rules.invoice_number(period, running), payer=payer, period=period, kind=kind, seller=seller,
    ).on_conflict_do_nothing(constraint="one_specification_per_payer_period_kind_seller"))
    return (await session.execute(select(InvoiceSpecification).where(
        InvoiceSpecification.payer == payer, InvoiceSpecification.period == period, InvoiceSpecification.kind == kind,
        InvoiceSpecification.seller == seller).with_for_update())).scalar_one()


async def record_delivery(session: AsyncSession, event: OrderDelivered, envelope: Envelope, rent_months: int) -> int:
    """Purchased lines of a delivered order become specification lines; rented aids start a rental,
    invoiced month by month by ``rent_run``. Returns the number of lines recorded."""
    if not event.payer:
        return 0
    delivered_on = event.delivered_at.astimezone(SWEDEN).date()
    period = rules.period_of(delivered_on)
    recorded = 0
    for index, line in enumerate(event.lines):
        if line.debit_form == "rent" and line.unit_price_minor is not None:
            numbers = line.individual_numbers or [""]
            await session.execute(insert(Rental).values([{
                "id": uuid.uuid4(), "payer": event.payer, "seller": line.seller or rules.AID_CENTRE_SELLER, "case_number": event.case_number,
                "our_reference": event.our_reference or event.service_unit, "article_number": line.article_number or "MANUELL",
                "individual_number": number, "quantity": 1 if number else line.quantity,
                "monthly_rent_minor": rules.monthly_rent(line.unit_price_minor, rent_months), "currency": line.currency,
                "started_on": delivered_on, "source_event_id": envelope.event_id, "line_index": index} for number in numbers])
                .on_conflict_do_nothing(constraint="one_rental_per_delivered_aid"))
            recorded += 1
            continue
        if line.debit_form != "purchase" or line.unit_price_minor is None or line.source is None:
            continue
        seller = line.seller or rules.AID_CENTRE_SELLER
        spec = await _specification(session, event.payer, period, rules.kind_of(line.source, seller, event.payer), seller)
        await session.execute(insert(SpecificationLine).values(
            id=uuid.uuid4(), specification_id=spec.id, source_event_id=envelope.event_id, line_index=index,
            case_number=event.case_number, our_reference=event.our_reference or event.service_unit,
            delivered_at=event.delivered_at, article_number=line.article_number or "MANUELL", quantity=line.quantity,
            unit_price_minor=line.unit_price_minor, amount_minor=line.unit_price_minor * line.quantity, currency=line.currency,
        ).on_conflict_do_nothing(constraint="one_line_per_event_line"))
        recorded += 1
    return recorded


async def end_rental(session: AsyncSession, individual_number: str, status: str, when: date) -> None:
    """A rented aid came back (picked up, returned or scrapped): its rent stops after this month."""
    if status == "delivered":
        return
    for rental in (await session.execute(select(Rental).where(Rental.individual_number == individual_number,
                                                             Rental.ended_on.is_(None)).with_for_update())).scalars():
        rental.ended_on = when


#: pg_advisory_xact_lock key of "a rent run is going on" ('rent!' as an integer): the scheduler of each
#: replica and a manual run take turns, so two never create the same specification at once
RENT_RUN_LOCK = 0x72656E7421


async def rent_run(session: AsyncSession, month: date) -> int:
    """One rent line per rental out during ``month`` (started before its end, not ended before its start),
    on the payer's aid-centre specification for that month. Running it again adds nothing."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RENT_RUN_LOCK})
    first, following = rules.month_bounds(month)
    rentals = (await session.execute(select(Rental).where(Rental.started_on < following,
                                                          (Rental.ended_on.is_(None)) | (Rental.ended_on >= first)))).scalars().all()
    added = 0
    specs: dict[tuple[str, str], InvoiceSpecification] = {}
    for rental in rentals:
        key = (rental.payer, rental.seller)
        if key not in specs:
            specs[key] = await _specification(session, rental.payer, first, "aid_centre", rental.seller)
        spec = specs[key]
        result = await session.execute(insert(SpecificationLine).values(
            id=uuid.uuid4(), specification_id=spec.id, line_kind="rent", rental_id=rental.id, rent_month=first,
            case_number=rental.case_number, our_reference=rental.our_reference,
            delivered_at=datetime.combine(rental.started_on, time(12), tzinfo=SWEDEN),
            article_number=rental.article_number + (f" / {rental.individual_number}" if rental.individual_number else ""),
            quantity=rental.quantity, unit_price_minor=rental.monthly_rent_minor,
            amount_minor=rental.monthly_rent_minor * rental.quantity, currency=rental.currency,
        ).on_conflict_do_nothing(constraint="one_rent_line_per_rental_and_month").returning(SpecificationLine.id))
        added += len(result.all())
    return added


async def search(session: AsyncSession, *, payer: str | None, start: date | None, end: date | None, kind: str | None,
                 our_reference: str | None, payers: frozenset[str] | None = None) -> list[tuple[InvoiceSpecification, int, int]]:
    """Specifications with their line count and total, newest period first; of ``payers`` only (codes; None: all)."""
    if not (payer or our_reference):
        raise invalid("choose a payer, or search by our reference")
    totals = (select(SpecificationLine.specification_id, func.count().label("lines"), func.sum(SpecificationLine.amount_minor).label("total"))
              .group_by(SpecificationLine.specification_id).subquery())
    query = (select(InvoiceSpecification, totals.c.lines, totals.c.total)
             .join(totals, totals.c.specification_id == InvoiceSpecification.id)
             .order_by(InvoiceSpecification.period.desc(), InvoiceSpecification.invoice_number))
    if payer:
        query = query.where(InvoiceSpecification.payer == payer)
    if payers is not None:
        query = query.where(InvoiceSpecification.payer.in_(payers))
    if start:
        query = query.where(InvoiceSpecification.period >= rules.period_of(start))
    if end:
        query = query.where(InvoiceSpecification.period <= end)
    if kind:
        query = query.where(InvoiceSpecification.kind == kind)
    if our_reference:
        query = query.where(InvoiceSpecification.id.in_(
            select(SpecificationLine.specification_id).where(SpecificationLine.our_reference == our_reference)))
    return [(s, n, t) for s, n, t in (await session.execute(query)).all()]


async def specification(session: AsyncSession, specification_id: uuid.UUID,
                        payers: frozenset[str] | None = None) -> tuple[InvoiceSpecification, list[SpecificationLine]]:
    """The specification, if of one of ``payers`` (codes; None: all): another payer's is not found, as a missing one."""
    spec = await session.get(InvoiceSpecification, specification_id)
    if spec is None or (payers is not None and spec.payer not in payers):
        raise not_found("invoice specification", specification_id)
    lines = list((await session.execute(select(SpecificationLine).where(SpecificationLine.specification_id == spec.id)
                                        .order_by(SpecificationLine.delivered_at, SpecificationLine.case_number,
                                                  SpecificationLine.line_index))).scalars())
    return spec, lines
