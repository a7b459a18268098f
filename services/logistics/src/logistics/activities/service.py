"""Activity and deviation use cases (LG-14, LG-15)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.logistics.v1 import ActivityClosed, ActivityOpened
from kit import outbox
from kit.db import one_or_404
from kit.problems import conflict, invalid, not_found
from logistics import attachments
from logistics.activities import rules
from logistics.activities.models import Activity, Deviation
from logistics.case_numbers import next_case_number
from logistics.catalogue.models import Article
from logistics.orders.models import Order, OrderLine
from logistics.prescribers.models import Prescriber
from logistics.recipients import service as recipients
from logistics.stock.models import Individual, IndividualEvent


async def open_activity(session: AsyncSession, prescriber: Prescriber, values: dict, files: list[dict]) -> Activity:
    files_in = attachments.decode(files)
    if rules.needs_form(values["activity_type"]) and not files_in:
        raise invalid("a special adaptation needs its form attached")
    recipient = await recipients.recipient(session, values["recipient_id"]) if values.get("recipient_id") else None
    individual = await session.get(Individual, values["individual_id"]) if values.get("individual_id") else None
    if values.get("individual_id") and individual is None:
        raise not_found("individual", values["individual_id"])
    if values.get("article_id") and await session.get(Article, values["article_id"]) is None:
        raise not_found("article", values["article_id"])
    if values.get("order_id"):
        order = await session.get(Order, values["order_id"])
        if order is None or order.prescriber_id != prescriber.account_id:
            raise not_found("order", values["order_id"])
        if recipient is not None and order.recipient_id != recipient.id:
            raise invalid(f"order {order.case_number} is another recipient's: link an order of this recipient")
        if order.status not in rules.ORDER_STATUSES_FOR_ACTIVITY:
            raise conflict("order-not-open", f"order {order.case_number} is {order.status}: an activity is linked to an "
                                             "order before its delivery, to hold the delivery until the work is done")
        main_aids = (await session.execute(select(Article.id).join(OrderLine, OrderLine.article_id == Article.id).where(
            OrderLine.order_id == order.id, Article.article_type == "main"))).first()
        if main_aids is None:
            raise invalid("an activity is linked only to an order of main aids")
    flag = values.get("infection_flag")
    activity = Activity(id=uuid.uuid4(), case_number=await next_case_number(session), prescriber_id=prescriber.account_id,
                        service_unit=prescriber.service_units[0], status="open",
                        infection_flag=(recipient.infection_flag if recipient else False) if flag is None else flag,
                        **{k: v for k, v in values.items() if k != "infection_flag"})
    session.add(activity)
    await session.flush()
    for filename, content_type, content in files_in:
        await attachments.add(session, filename, content_type, content, activity_id=activity.id)
    if individual is not None:
        session.add(IndividualEvent(individual_id=individual.id, kind="activity", detail=f"{activity.activity_type} {activity.case_number}",
                                    recipient_id=individual.recipient_id, actor_id=prescriber.account_id))
    await outbox.add(session, ActivityOpened(activity_id=activity.id, case_number=activity.case_number, activity_type=activity.activity_type,
                                             priority=activity.priority, service_unit=activity.service_unit,
                                             individual_number=individual.number if individual else None))
    return activity


async def activity(session: AsyncSession, activity_id: uuid.UUID, *, lock: bool = False) -> Activity:
    return await one_or_404(session, Activity, activity_id, "activity", lock=lock)


async def close(session: AsyncSession, actor: uuid.UUID, activity_id: uuid.UUID, work_done: str) -> Activity:
    """Report back and close with the work done."""
    found = await activity(session, activity_id, lock=True)
    if found.status != "open":
        raise conflict("activity-closed", "the activity is closed already")
    found.status, found.work_done, found.closed_at = "closed", work_done, datetime.now(UTC)
    if found.individual_id:
        individual = await session.get(Individual, found.individual_id)
        session.add(IndividualEvent(individual_id=individual.id, kind="activity closed", detail=f"{found.case_number}: {work_done[:200]}",
                                    recipient_id=individual.recipient_id, actor_id=actor))
    await outbox.add(session, ActivityClosed(activity_id=found.id, case_number=found.case_number))
    return found


async def open_for_order(session: AsyncSession, order_id: uuid.UUID) -> list[Activity]:
    return list((await session.execute(select(Activity).where(Activity.order_id == order_id, Activity.status == "open"))).scalars())


async def report_deviation(session: AsyncSession, prescriber: Prescriber, values: dict) -> Deviation:
    if values.get("recipient_id"):
        await recipients.recipient(session, values["recipient_id"])
    ids = values.get("individual_ids") or []
    if ids:
        known = set((await session.execute(select(Individual.id).where(Individual.id.in_(ids)))).scalars())
        unknown = [str(i) for i in ids if i not in known]
        if unknown:
            raise invalid(f"unknown individuals: {', '.join(unknown)}")
    deviation = Deviation(id=uuid.uuid4(), case_number=await next_case_number(session), prescriber_id=prescriber.account_id,
                          service_unit=prescriber.service_units[0], **{**values, "individual_ids": ids})
    session.add(deviation)
    await session.flush()
    return deviation
