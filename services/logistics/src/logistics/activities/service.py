"""Activity and deviation use cases (LG-14, LG-15)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.logistics.v1 import ActivityClosed, ActivityOpened
from kit import outbox
from kit.problems import conflict, invalid, not_found
from logistics import attachments
from logistics.activities import rules
from logistics.activities.models import Activity, Deviation
from logistics.case_numbers import next_case_number
from logistics.catalogue.models import Article
from logistics.orders import service as orders
from logistics.orders.models import OrderLine
from logistics.prescribers.models import Prescriber
from logistics.recipients import service as recipients
from logistics.stock.models import Individual, IndividualEvent
from logistics.tenancy import Scope


async def open_activity(session: AsyncSession, scope: Scope, prescriber: Prescriber, values: dict, files: list[dict]) -> Activity:
    """For the chosen service unit (the default setting unless another granted one); the recipient and the
    order must be of the caller's municipalities."""
    files_in = attachments.decode(files)
    if rules.needs_form(values["activity_type"]) and not files_in:
        raise invalid("a special adaptation needs its form attached")
    unit = scope.unit(values.pop("service_unit_id", None), prescriber.service_unit_id)
    recipient = (await recipients.visible(session, scope, values["recipient_id"], action="activity for recipient")
                 if values.get("recipient_id") else None)
    individual = await session.get(Individual, values["individual_id"]) if values.get("individual_id") else None
    if values.get("individual_id") and individual is None:
        raise not_found("individual", values["individual_id"])
    if values.get("article_id") and await session.get(Article, values["article_id"]) is None:
        raise not_found("article", values["article_id"])
    if values.get("order_id"):
        order = await orders.own_order(session, scope, values["order_id"], action="activity on order")
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
    if recipient is not None:
        await recipients.belongs_to(session, recipient.id, unit.parent_id)
    activity = Activity(id=uuid.uuid4(), case_number=await next_case_number(session), prescriber_id=prescriber.account_id,
                        service_unit_id=unit.id, service_unit_code=unit.code, service_unit=unit.name,
                        municipality_id=unit.parent_id, status="open",
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


async def activity(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, *, lock: bool = False,
                   action: str = "read activity") -> Activity:
    """The activity, if of the caller's municipalities (else not found, as a missing one)."""
    query = select(Activity).where(Activity.id == activity_id)
    found = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if found is None or not scope.sees(found.municipality_id):
        raise await scope.not_visible("activity", activity_id, action=action, subject=found.recipient_id if found else None)
    return found


async def close(session: AsyncSession, scope: Scope, activity_id: uuid.UUID, work_done: str) -> Activity:
    """Report back and close with the work done."""
    actor = scope.account_id
    found = await activity(session, scope, activity_id, lock=True, action="close activity")
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


async def report_deviation(session: AsyncSession, scope: Scope, prescriber: Prescriber, values: dict) -> Deviation:
    """For the chosen (or default) granted service unit; the recipient must be of the caller's municipalities."""
    unit = scope.unit(values.pop("service_unit_id", None), prescriber.service_unit_id)
    if values.get("recipient_id"):
        await recipients.visible(session, scope, values["recipient_id"], action="deviation for recipient")
    ids = values.get("individual_ids") or []
    if ids:
        known = set((await session.execute(select(Individual.id).where(Individual.id.in_(ids)))).scalars())
        unknown = [str(i) for i in ids if i not in known]
        if unknown:
            raise invalid(f"unknown individuals: {', '.join(unknown)}")
    deviation = Deviation(id=uuid.uuid4(), case_number=await next_case_number(session), prescriber_id=prescriber.account_id,
                          service_unit_id=unit.id, service_unit_code=unit.code, service_unit=unit.name,
                          municipality_id=unit.parent_id, **{**values, "individual_ids": ids})
    session.add(deviation)
    await session.flush()
    return deviation
