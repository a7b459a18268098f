"""Stock use cases: balances with filters, individuals (register, search, open, renumber, deliver,
history) and replenishment orders to an own store."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.logistics.v1 import IndividualStatusChanged
from kit import outbox
from kit.db import contains, flush_guarded
from kit.problems import Problem, conflict, forbidden, invalid, not_found
from logistics.case_numbers import next_case_number
from logistics.catalogue.models import Article
from logistics.pseudonyms import recipient_ref
from logistics.recipients.models import Recipient
from logistics.stock import rules
from logistics.stock.models import (
    Individual,
    IndividualEvent,
    ReplenishmentLine,
    ReplenishmentOrder,
    StockBalance,
    Warehouse,
    available,
)
from logistics.tenancy import Scope

NUMBER_TAKEN = "individuals_number_key"  # the unique constraint on individual numbers


async def all_warehouses(session: AsyncSession) -> list[Warehouse]:
    return list((await session.execute(select(Warehouse).order_by(Warehouse.code))).scalars())


async def warehouse(session: AsyncSession, code: str) -> Warehouse:
    found = await session.get(Warehouse, code)
    if found is None:
        raise not_found("warehouse", code)
    return found


async def balances(session: AsyncSession, code: str, *, article_type: str | None,
                   with_balance: bool) -> list[tuple[Article, int, int]]:
    """LG-7: the store's balance per article; ``with_balance`` keeps the articles that have a balance (above
    zero), otherwise every article that was ever stocked there, zero and negative too (KHS manual,
    "Lagersaldo": "även artiklar med saldo noll eller negativt saldo")."""
    await warehouse(session, code)
    query = (select(Article, StockBalance.quantity, available()).join(StockBalance, StockBalance.article_id == Article.id)
             .where(StockBalance.warehouse_code == code).order_by(Article.number))
    if article_type:
        query = query.where(Article.article_type == article_type)
    if with_balance:
        query = query.where(StockBalance.quantity > 0)
    return [(a, q, free) for a, q, free in (await session.execute(query)).all()]


async def individuals_in(session: AsyncSession, code: str) -> list[tuple[Individual, Article]]:
    await warehouse(session, code)
    query = (select(Individual, Article).join(Article, Article.id == Individual.article_id)
             .where(Individual.warehouse_code == code, Individual.status == "in_stock").order_by(Individual.number))
    return [(i, a) for i, a in (await session.execute(query)).all()]


async def _event(session: AsyncSession, individual: Individual, kind: str, actor: uuid.UUID, detail: str = "",
                 recipient_id: uuid.UUID | None = None) -> None:
    session.add(IndividualEvent(individual_id=individual.id, kind=kind, detail=detail, recipient_id=recipient_id, actor_id=actor))


async def register_individual(session: AsyncSession, actor: uuid.UUID, *, aid_centre: bool, own_stores: list[str],
                              article_id: uuid.UUID, warehouse_code: str, number: str, serial_number: str,
                              purchase_date: date | None, acquisition_value_minor: int | None, warranty_until: date | None,
                              text: str | None) -> Individual:
    """LG-8: a new individual in a store; the store's balance of the article counts it (a serial-tracked
    article's balance is the number of its individuals in stock there)."""
    article = await session.get(Article, article_id)
    if article is None:
        raise not_found("article", article_id)
    if not article.individual_tracked:
        raise invalid(f"article {article.number} is not individual-marked")
    store = await warehouse(session, warehouse_code)
    if not aid_centre and store.kind == "buffer_store" and store.code not in own_stores:
        raise forbidden(f"store {store.code} is not one of your own stores")
    try:
        rules.may_register_individual(article.aid_class, store.kind, aid_centre=aid_centre,
                                      own_store=store.code in own_stores)
    except rules.StockRuleError as exc:
        raise invalid(str(exc)) from exc
    individual = Individual(id=uuid.uuid4(), number=number, serial_number=serial_number, article_id=article.id, status="in_stock",
                            warehouse_code=store.code, purchase_date=purchase_date, acquisition_value_minor=acquisition_value_minor,
                            warranty_until=warranty_until, text=text)
    session.add(individual)
    await flush_guarded(session, {NUMBER_TAKEN: conflict("individual-number-taken", f"individual number {number} is taken")})
    await session.execute(insert(StockBalance).values(warehouse_code=store.code, article_id=article.id, quantity=1)
                          .on_conflict_do_update(index_elements=["warehouse_code", "article_id"],
                                                 set_={"quantity": StockBalance.quantity + 1}))
    await _event(session, individual, "registered", actor, f"in store {store.code}")
    return individual


def _visible(scope: Scope) -> ColumnElement[bool]:
    """Individuals in a store, and those with recipients of the caller's municipalities."""
    return or_(Individual.recipient_id.is_(None), scope.recipients_where(Individual.recipient_id))


async def search_individuals(session: AsyncSession, text: str, scope: Scope) -> dict:
    """LG-8: a full individual number opens it directly; otherwise a substring of the individual or serial number."""
    try:
        text = rules.check_search(text)
    except rules.StockRuleError as exc:
        raise invalid(str(exc)) from exc
    exact = (await session.execute(select(Individual).where(Individual.number == text, _visible(scope)))).scalar_one_or_none()
    if exact is not None:
        return {"exact": exact, "hits": [exact]}
    pattern = contains(text)
    hits = list((await session.execute(select(Individual).where(
        Individual.number.ilike(pattern) | Individual.serial_number.ilike(pattern), _visible(scope))
        .order_by(Individual.number).limit(100))).scalars())
    return {"exact": None, "hits": hits}


async def individual(session: AsyncSession, individual_id: uuid.UUID, *, lock: bool = False, scope: Scope | None = None) -> Individual:
    """The individual; with ``scope``, not found when it is with a recipient of another municipality."""
    query = select(Individual).where(Individual.id == individual_id)
    if scope is not None:
        query = query.where(_visible(scope))
    found = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if found is None:
        if scope is not None:
            raise await scope.not_visible("individual", individual_id, action="read individual")
        raise not_found("individual", individual_id)
    return found


async def visible_recipients(session: AsyncSession, scope: Scope, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``ids`` that are recipients of the caller's municipalities."""
    if not ids:
        return set()
    return set((await session.execute(select(Recipient.id).where(Recipient.id.in_(ids), scope.recipients_where(Recipient.id)))).scalars())


async def history(session: AsyncSession, individual_id: uuid.UUID) -> list[IndividualEvent]:
    await individual(session, individual_id)
    return list((await session.execute(select(IndividualEvent).where(IndividualEvent.individual_id == individual_id)
                                       .order_by(IndividualEvent.at.desc(), IndividualEvent.id.desc()))).scalars())


async def renumber(session: AsyncSession, scope: Scope, individual_id: uuid.UUID, new_number: str, confirmed: bool) -> Individual:
    """LG-8: changing an individual's number needs an explicit confirmation; one in a buffer store only by
    its store keepers and the aid centre."""
    actor = scope.account_id
    found = await individual(session, individual_id, lock=True, scope=scope)
    if found.warehouse_code and not (scope.staff or scope.everything):
        store = await warehouse(session, found.warehouse_code)
        if store.kind == "buffer_store":
            scope.own_store(store.code)
    if not confirmed:
        raise Problem(428, "confirmation-required", f"changing individual number {found.number} to {new_number} must be "
                                                    "confirmed: send confirm=true")
    old = found.number
    found.number = new_number
    await flush_guarded(session, {NUMBER_TAKEN: conflict("individual-number-taken", f"individual number {new_number} is taken")})
    await _event(session, found, "number changed", actor, f"{old} → {new_number}")
    return found


async def deliver(session: AsyncSession, scope: Scope, individual_id: uuid.UUID, recipient_id: uuid.UUID,
                  pseudonym_key: str) -> Individual:
    """LG-8: deliver an individual from an own buffer store to a recipient of the caller's municipalities."""
    from logistics.recipients import service as recipients

    actor, own_stores = scope.account_id, list(scope.stores)
    found = await individual(session, individual_id, lock=True, scope=scope)
    if found.status != "in_stock" or found.warehouse_code is None:
        raise conflict("individual-not-in-stock", f"individual {found.number} is {found.status.replace('_', ' ')}")
    store = await warehouse(session, found.warehouse_code)
    if store.kind != "buffer_store" or store.code not in own_stores:
        raise Problem(403, "forbidden", f"individual {found.number} is not in one of your own stores")
    recipient = await recipients.visible(session, scope, recipient_id, action="deliver to recipient")
    found.status, found.recipient_id, found.warehouse_code = "delivered", recipient.id, None
    await session.execute(update(StockBalance).where(StockBalance.warehouse_code == store.code,
                                                     StockBalance.article_id == found.article_id)
                          .values(quantity=StockBalance.quantity - 1))
    await _event(session, found, "delivered", actor, f"from store {store.code}", recipient.id)
    article = await session.get(Article, found.article_id)
    await outbox.add(session, IndividualStatusChanged(individual_id=found.id, individual_number=found.number, article_number=article.number,
                                                      status="delivered", recipient_ref=recipient_ref(pseudonym_key, recipient.id)))
    return found


async def replenish(session: AsyncSession, actor: uuid.UUID, warehouse_code: str, own_stores: list[str],
                    lines: list[tuple[uuid.UUID, int]]) -> ReplenishmentOrder:
    """LG-7: order stock from the aid centre to an own buffer store (a case number is given at once)."""
    store = await warehouse(session, warehouse_code)
    if store.kind != "buffer_store" or store.code not in own_stores:
        raise Problem(403, "forbidden", f"store {warehouse_code} is not one of your own stores")
    ids = [article_id for article_id, _ in lines]
    known = set((await session.execute(select(Article.id).where(Article.id.in_(ids)))).scalars())
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise invalid(f"unknown articles: {', '.join(unknown)}")
    order = ReplenishmentOrder(id=uuid.uuid4(), case_number=await next_case_number(session), warehouse_code=store.code,
                               created_by=actor, status="registered")
    session.add(order)
    await session.flush()
    session.add_all([ReplenishmentLine(order_id=order.id, article_id=a, quantity=q) for a, q in lines])
    return order


async def receive_replenishment(session: AsyncSession, order_id: uuid.UUID) -> ReplenishmentOrder:
    """The aid centre delivered: the store's balances go up."""
    order = (await session.execute(select(ReplenishmentOrder).where(ReplenishmentOrder.id == order_id).with_for_update())).scalar_one_or_none()
    if order is None:
        raise not_found("replenishment order", order_id)
    if order.status != "registered":
        raise conflict("replenishment-not-registered", f"the order is {order.status}")
    for line in (await session.execute(select(ReplenishmentLine).where(ReplenishmentLine.order_id == order.id))).scalars():
        await session.execute(insert(StockBalance).values(warehouse_code=order.warehouse_code, article_id=line.article_id,
                                                          quantity=line.quantity)
                              .on_conflict_do_update(index_elements=["warehouse_code", "article_id"],
                                                     set_={"quantity": StockBalance.quantity + line.quantity}))
    order.status = "delivered"
    return order


async def recipient_individuals(session: AsyncSession, recipient_id: uuid.UUID) -> list[tuple[Individual, Article, object]]:
    """The recipient's aids, newest delivery first."""
    query = (select(Individual, Article, IndividualEvent.at).join(Article, Article.id == Individual.article_id)
             .join(IndividualEvent, and_(IndividualEvent.individual_id == Individual.id, IndividualEvent.kind == "delivered",
                                         IndividualEvent.recipient_id == recipient_id))
             .where(Individual.recipient_id == recipient_id).order_by(IndividualEvent.at.desc()))
    return [(i, a, at) for i, a, at in (await session.execute(query)).all()]
