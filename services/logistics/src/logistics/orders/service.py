"""Order use cases (LG-11): the cart per prescriber and recipient, lines with availability and ranked
replacements, components, submit (case number, planned delivery, stock reserved atomically), cancel
while registered, delivery (stock taken, individuals and holdings to the recipient). Every step a partner region
cares about publishes a partner-safe event (LG-19)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.logistics.v1 import (
    IndividualStatusChanged,
    OrderCancelled,
    OrderDelivered,
    OrderedArticle,
    OrderRegistered,
)
from kit import outbox
from kit.db import contains
from kit.directory import Organisation, organisations
from kit.problems import conflict, forbidden, invalid, not_found
from logistics.activities.models import Activity
from logistics.case_numbers import SWEDEN, next_case_number
from logistics.catalogue import service as catalogue
from logistics.catalogue.models import Article, ArticleComponent
from logistics.orders import rules
from logistics.orders.models import Order, OrderLine
from logistics.prescribers.models import Prescriber
from logistics.pseudonyms import recipient_ref
from logistics.recipients import service as recipients
from logistics.stock import service as stock_service
from logistics.stock.models import Individual, IndividualEvent, StockBalance, Warehouse
from logistics.stock.models import available as stock_available
from logistics.tenancy import Scope, directory

AID_CENTRE = "Hjälpmedelscentralen"


async def cart(session: AsyncSession, scope: Scope, prescriber: Prescriber, recipient_id: uuid.UUID, *,
               service_unit_id: uuid.UUID | None = None, prescriber_id: uuid.UUID | None = None) -> Order:
    """The caller's ongoing order for this recipient, made on first use for the chosen service unit (the
    default setting unless another granted one is chosen), the caller as orderer and, unless another
    prescriber of that unit is named, as prescriber. The infection flag comes from the recipient."""
    recipient = await recipients.visible(session, scope, recipient_id, action="order for recipient")
    existing = (await session.execute(select(Order).where(Order.orderer_id == scope.account_id, Order.recipient_id == recipient.id,
                                                          Order.status == "cart"))).scalar_one_or_none()
    if existing is not None:
        return existing
    unit = scope.unit(service_unit_id, prescriber.service_unit_id)
    payer = scope.payer(unit)
    prescribing = await _prescriber_of(session, unit, prescriber_id or scope.account_id)
    await recipients.belongs_to(session, recipient.id, payer.id)
    await session.execute(insert(Order).values(
        id=uuid.uuid4(), prescriber_id=prescribing, orderer_id=scope.account_id, recipient_id=recipient.id,
        service_unit_id=unit.id, service_unit_code=unit.code, service_unit=unit.name,
        municipality_id=payer.id, payer_code=payer.code, payer=payer.name, our_reference=unit.name,
        status="cart", infection_flag=recipient.infection_flag, joint_delivery=False,
        delivery_address=f"{recipient.street}, {recipient.postal_code} {recipient.city}",
    ).on_conflict_do_nothing(index_elements=["orderer_id", "recipient_id"], index_where=text("status = 'cart'")))
    return (await session.execute(select(Order).where(Order.orderer_id == scope.account_id, Order.recipient_id == recipient.id,
                                                      Order.status == "cart"))).scalar_one()


async def _prescriber_of(session: AsyncSession, unit: Organisation, account_id: uuid.UUID) -> uuid.UUID:
    """The prescriber ("förskrivare") of an order must hold the prescriber role in its service unit."""
    if not await directory.holds(session, account_id, "prescriber", unit.id):
        raise forbidden(f"account {account_id} is not a prescriber of service unit {unit.code} {unit.name}")
    return account_id


async def own_order(session: AsyncSession, scope: Scope | None, order_id: uuid.UUID, *, lock: bool = False,
                    action: str = "read order", write: bool = False) -> Order:
    """The order, if the caller's municipalities see it (else not found, as a missing one, and audited);
    ``write``: a cart changes only by its orderer, an order only by its orderer or prescriber."""
    order = (await session.execute(select(Order).where(Order.id == order_id).with_for_update()
                                   if lock else select(Order).where(Order.id == order_id))).scalar_one_or_none()
    if scope is None:
        if order is None:
            raise not_found("order", order_id)
        return order
    if order is None or not scope.sees(order.municipality_id):
        raise await scope.not_visible("order", order_id, action=action, subject=order.recipient_id if order else None)
    if write and scope.account_id not in ((order.orderer_id,) if order.status == "cart" else (order.orderer_id, order.prescriber_id)):
        await scope.denied(action, order.recipient_id, str(order_id))
        raise forbidden(f"order {order.case_number or order.id} of service unit {order.service_unit_code} is another "
                        f"orderer's {'cart' if order.status == 'cart' else 'order'}")
    return order


def must_be_open(order: Order) -> None:
    if order.status not in ("cart", "registered"):
        raise conflict(f"order-{order.status}", f"the order is {order.status}")


async def own_line(session: AsyncSession, scope: Scope, order_id: uuid.UUID, line_id: uuid.UUID) -> OrderLine:
    order = await own_order(session, scope, order_id, action="change order", write=True)
    must_be_open(order)
    line = await session.get(OrderLine, line_id)
    if line is None or line.order_id != order.id:
        raise not_found("order line", line_id)
    return line


async def search_components(session: AsyncSession, line: OrderLine, text: str) -> list[tuple[ArticleComponent, Article]]:
    pattern = contains(text.lower())
    query = (select(ArticleComponent, Article).join(Article, Article.id == ArticleComponent.component_id)
             .where(ArticleComponent.article_id == line.article_id, Article.search_text.ilike(pattern)).order_by(Article.number))
    return [(c, a) for c, a in (await session.execute(query)).all()]


def _must_be_cart(order: Order) -> None:
    if order.status != "cart":
        raise conflict("order-submitted", f"the order is {order.status}; lines change only before it is submitted")


async def change_order(session: AsyncSession, scope: Scope, order_id: uuid.UUID, changes: dict) -> Order:
    """Delivery address, contact, instructions, joint delivery, this order's infection flag, comment, our
    reference; the service unit (among the granted ones: the payer follows) and the prescriber (of that unit)."""
    order = await own_order(session, scope, order_id, lock=True, action="change order", write=True)
    _must_be_cart(order)
    unit_id = changes.pop("service_unit_id", None)
    prescriber_id = changes.pop("prescriber_id", None)
    if unit_id is not None and unit_id != order.service_unit_id:
        unit = scope.unit(unit_id)
        payer = scope.payer(unit)
        if order.our_reference == order.service_unit:
            order.our_reference = unit.name
        order.service_unit_id, order.service_unit_code, order.service_unit = unit.id, unit.code, unit.name
        order.municipality_id, order.payer_code, order.payer = payer.id, payer.code, payer.name
        await recipients.belongs_to(session, order.recipient_id, payer.id)
    if unit_id is not None or prescriber_id is not None:
        unit = scope.unit(order.service_unit_id)
        order.prescriber_id = await _prescriber_of(session, unit, prescriber_id or order.prescriber_id)
    for field, value in changes.items():
        setattr(order, field, value)
    return order


async def available(session: AsyncSession, article_id: uuid.UUID, warehouse: str) -> int:
    row = (await session.execute(select(stock_available()).where(
        StockBalance.article_id == article_id, StockBalance.warehouse_code == warehouse))).scalar()
    return row or 0


async def add_line(session: AsyncSession, scope: Scope, order_id: uuid.UUID, *, article_id: uuid.UUID | None,
                   manual_text: str | None, quantity: int, source: str, warehouse_code: str | None, comment: str | None) -> dict:
    """A line, with the article's availability in the warehouse; when it has too little, the ranked
    replacements that have stock are offered (the line is not added)."""
    order = await own_order(session, scope, order_id, lock=True, action="change order", write=True)
    _must_be_cart(order)
    if manual_text is not None:
        if not (comment or "").strip():
            raise invalid("a manual prescription (MANUELL) needs a comment saying what and why")
        line = OrderLine(id=uuid.uuid4(), order_id=order.id, manual_text=manual_text, quantity=quantity, source="aid_centre",
                         warehouse_code=None, comment=comment, components=[])
        session.add(line)
        await session.flush()
        return {"line": line, "available": None, "replacements": []}
    article = await catalogue.article(session, article_id)
    if warehouse_code is None:
        raise invalid("choose the warehouse the line is delivered from")
    store = await stock_service.warehouse(session, warehouse_code)
    if source == "own_store":
        if store.kind != "buffer_store":
            raise invalid(f"{warehouse_code} is one of the aid centre's warehouses: an own-store line comes from a buffer store")
        scope.own_store(store.code)  # a withdrawal: only from a store where the caller is store keeper
    if source == "aid_centre" and store.kind != "aid_centre":
        raise invalid(f"{warehouse_code} is a buffer store: deliveries from the aid centre come from its warehouses")
    stock = await available(session, article.id, warehouse_code)
    if stock < quantity:
        offers = [r for r in await catalogue.replacements(session, article.id, warehouse_code)
                  if r["article"].id != article.id and (r["available"] or 0) >= quantity]
        raise conflict("not-available", f"{article.number} has {max(stock, 0)} available in {warehouse_code}",
                       available=max(stock, 0), replacements=[{"rank": r["rank"], "article_id": str(r["article"].id),
                                                               "article_number": r["article"].number, "name": r["article"].name,
                                                               "available": r["available"]} for r in offers])
    template = [{"article_id": str(c.component_id), "quantity": c.quantity, "standard": True}
                for c in (await session.execute(select(ArticleComponent).where(ArticleComponent.article_id == article.id,
                                                                               ArticleComponent.standard))).scalars()]
    line = OrderLine(id=uuid.uuid4(), order_id=order.id, article_id=article.id, quantity=quantity, source=source,
                     warehouse_code=warehouse_code, comment=comment, components=template)
    session.add(line)
    await session.flush()
    return {"line": line, "available": stock, "replacements": []}


async def change_components(session: AsyncSession, scope: Scope, order_id: uuid.UUID, line_id: uuid.UUID,
                            removed: list[str], added: list[dict]) -> OrderLine:
    order = await own_order(session, scope, order_id, lock=True, action="change order", write=True)
    _must_be_cart(order)
    line = await session.get(OrderLine, line_id)
    if line is None or line.order_id != order.id or line.article_id is None:
        raise not_found("order line", line_id)
    allowed = {str(c) for c in (await session.execute(select(ArticleComponent.component_id).where(
        ArticleComponent.article_id == line.article_id))).scalars()}
    template = [{"article_id": str(c.component_id), "quantity": c.quantity, "standard": True}
                for c in (await session.execute(select(ArticleComponent).where(ArticleComponent.article_id == line.article_id,
                                                                               ArticleComponent.standard))).scalars()]
    try:
        line.components = rules.components_after_change(template, allowed, set(removed), added)
    except rules.OrderRuleError as exc:
        raise invalid(str(exc)) from exc
    return line


async def remove_line(session: AsyncSession, scope: Scope, order_id: uuid.UUID, line_id: uuid.UUID) -> None:
    order = await own_order(session, scope, order_id, lock=True, action="change order", write=True)
    _must_be_cart(order)
    line = await session.get(OrderLine, line_id)
    if line is None or line.order_id != order.id:
        raise not_found("order line", line_id)
    await session.delete(line)


async def lines(session: AsyncSession, order_id: uuid.UUID) -> list[tuple[OrderLine, Article | None]]:
    query = (select(OrderLine, Article).outerjoin(Article, Article.id == OrderLine.article_id)
             .where(OrderLine.order_id == order_id).order_by(OrderLine.added_at, OrderLine.id))
    return [(line, article) for line, article in (await session.execute(query)).all()]


async def _ordered(session: AsyncSession, rows: list[tuple[OrderLine, Article | None]],
                   delivered: dict[uuid.UUID, list[str]] | None = None) -> list[OrderedArticle]:
    owners = await store_owners(session)
    return [OrderedArticle(article_number=a.number if a else None, quantity=line.quantity, warehouse=line.warehouse_code,
                           source=line.source, seller=AID_CENTRE if line.source == "aid_centre" else owners.get(line.warehouse_code),
                           debit_form=a.debit_form if a else None, unit_price_minor=a.new_price_minor if a else None,
                           currency=a.currency if a else "SEK", individual_numbers=(delivered or {}).get(line.id, []))
            for line, a in rows]


async def store_owners(session: AsyncSession) -> dict[str, str]:
    """Buffer store code → the code of the municipality that owns it (the seller of its own-store lines, as
    billing's payers are municipality codes); the warehouse's own record where the directory has no store."""
    owners = dict((await session.execute(select(Warehouse.code, Warehouse.municipality))).all())
    store, owner = organisations.alias("store"), organisations.alias("owner")
    rows = await session.execute(select(store.c.code, owner.c.code).join(owner, owner.c.id == store.c.parent_id)
                                 .where(store.c.kind == "buffer_store"))
    return owners | dict(rows.all())


async def submit(session: AsyncSession, scope: Scope, order_id: uuid.UUID, pseudonym_key: str) -> Order:
    """Reserve every line's stock (all or nothing), give a case number and a planned delivery date."""
    order = await own_order(session, scope, order_id, lock=True, action="submit order", write=True)
    scope.unit(order.service_unit_id)  # the unit must still be granted
    _must_be_cart(order)
    rows = await lines(session, order.id)
    if not rows:
        raise invalid("the order has no lines")
    for line, article in sorted(rows, key=lambda r: (r[0].warehouse_code or "", str(r[0].article_id))):
        if article is None:
            continue
        reserved = await session.execute(
            update(StockBalance).where(StockBalance.article_id == article.id, StockBalance.warehouse_code == line.warehouse_code,
                                       StockBalance.quantity - StockBalance.reserved >= line.quantity)
            .values(reserved=StockBalance.reserved + line.quantity).returning(StockBalance.article_id))
        if reserved.first() is None:
            raise conflict("not-available", f"{article.number}: {line.quantity} no longer available in {line.warehouse_code}; "
                                            "nothing was reserved", article_number=article.number)
    now = datetime.now(UTC)
    order.case_number = await next_case_number(session, now)
    order.status, order.submitted_at = "registered", now
    order.planned_delivery = rules.planned_delivery(now.astimezone(SWEDEN).date())
    await outbox.add(session, OrderRegistered(order_id=order.id, case_number=order.case_number, service_unit=order.service_unit,
                                              recipient_ref=recipient_ref(pseudonym_key, order.recipient_id), lines=await _ordered(session, rows),
                                              planned_delivery=order.planned_delivery))
    return order


async def cancel(session: AsyncSession, scope: Scope, order_id: uuid.UUID) -> Order:
    order = await own_order(session, scope, order_id, lock=True, action="cancel order", write=not scope.staff and not scope.everything)
    try:
        rules.may_cancel(order.status)
    except rules.OrderRuleError as exc:
        raise conflict("order-not-registered", str(exc)) from exc
    for line, article in await lines(session, order.id):
        if article is not None:
            await session.execute(update(StockBalance).where(StockBalance.article_id == article.id,
                                                             StockBalance.warehouse_code == line.warehouse_code)
                                  .values(reserved=StockBalance.reserved - line.quantity))
    order.status, order.closed_at = "cancelled", datetime.now(UTC)
    await outbox.add(session, OrderCancelled(order_id=order.id, case_number=order.case_number, service_unit=order.service_unit))
    return order


async def deliver(session: AsyncSession, scope: Scope, order_id: uuid.UUID, pseudonym_key: str) -> Order:
    """The aid centre delivered: stock leaves the warehouses; individual-marked aids are taken from the
    warehouse's individuals in stock and are on the recipient's list from now on; every other delivered
    article (accessories, purchased aids, consumables) is a holding of the recipient by quantity (LG-21)."""
    actor = scope.account_id
    order = await own_order(session, scope, order_id, lock=True, action="deliver order")
    if order.status != "registered":
        raise conflict("order-not-registered", f"the order is {order.status}")
    blocking = (await session.execute(select(Activity.case_number).where(Activity.order_id == order.id, Activity.status == "open"))).scalars().all()
    if blocking:
        raise conflict("activity-open", f"activity {', '.join(blocking)} on this order is open: close it before the delivery")
    rows = await lines(session, order.id)
    ref = recipient_ref(pseudonym_key, order.recipient_id)
    delivered: dict[uuid.UUID, list[str]] = {}
    now = datetime.now(UTC)
    for line, article in rows:
        if article is None:
            continue
        await session.execute(update(StockBalance).where(StockBalance.article_id == article.id,
                                                         StockBalance.warehouse_code == line.warehouse_code)
                              .values(quantity=StockBalance.quantity - line.quantity, reserved=StockBalance.reserved - line.quantity))
        await recipients.hold(session, actor, order, line, article, now)  # without individual numbers: held by quantity
        if article.individual_tracked:
            chosen = list((await session.execute(select(Individual).where(
                Individual.article_id == article.id, Individual.warehouse_code == line.warehouse_code, Individual.status == "in_stock")
                .order_by(Individual.number).limit(line.quantity).with_for_update(skip_locked=True))).scalars())
            if len(chosen) < line.quantity:
                raise conflict("no-individual", f"{article.number}: only {len(chosen)} individual(s) in {line.warehouse_code}")
            delivered[line.id] = [individual.number for individual in chosen]
            for individual in chosen:
                individual.status, individual.recipient_id, individual.warehouse_code = "delivered", order.recipient_id, None
                session.add(IndividualEvent(individual_id=individual.id, kind="delivered", detail=f"order {order.case_number}",
                                            recipient_id=order.recipient_id, actor_id=actor))
                await outbox.add(session, IndividualStatusChanged(individual_id=individual.id, individual_number=individual.number,
                                                                  article_number=article.number, status="delivered", recipient_ref=ref))
    order.status, order.closed_at = "delivered", now
    await outbox.add(session, OrderDelivered(order_id=order.id, case_number=order.case_number, service_unit=order.service_unit,
                                             recipient_ref=ref, lines=await _ordered(session, rows, delivered), delivered_at=now,
                                             payer=order.payer_code or order.payer, our_reference=order.our_reference))
    return order


async def by_case_number(session: AsyncSession, scope: Scope, case_number: str) -> Order:
    order = (await session.execute(select(Order).where(Order.case_number == case_number))).scalar_one_or_none()
    if order is None or not scope.sees(order.municipality_id):
        raise await scope.not_visible("order", case_number, action="read order", subject=order.recipient_id if order else None)
    return order


async def consumables_for(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID) -> list[tuple[Order, OrderLine, Article]]:
    """LG-18: consumables appear only in their own view (ordered and delivered)."""
    query = (select(Order, OrderLine, Article).join(OrderLine, OrderLine.order_id == Order.id)
             .join(Article, Article.id == OrderLine.article_id)
             .where(Order.recipient_id == recipient_id, Order.status.in_(("registered", "delivered")), Article.article_type == "consumable",
                    scope.where(Order.municipality_id))
             .order_by(Order.submitted_at.desc()))
    return [(o, line, a) for o, line, a in (await session.execute(query)).all()]


async def ordered_for(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID) -> list[tuple[Order, OrderLine, Article | None]]:
    """LG-10: ordered but not delivered."""
    query = (select(Order, OrderLine, Article).join(OrderLine, OrderLine.order_id == Order.id)
             .outerjoin(Article, Article.id == OrderLine.article_id)
             .where(Order.recipient_id == recipient_id, Order.status == "registered", scope.where(Order.municipality_id),
                    or_(Article.id.is_(None), Article.article_type != "consumable")).order_by(Order.submitted_at.desc()))
    return [(o, line, a) for o, line, a in (await session.execute(query)).all()]
