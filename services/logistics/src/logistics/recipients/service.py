"""Recipient use cases (LG-9, LG-10, LG-21): find or add a patient (address from the population register) or
a care unit; edit phone, door code and the infection flag; the views and printouts; the holdings of aids
without individual numbers (made at delivery, taken back by quantity by pickups and returns)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import IdentityNumberError, mask, swedish_personal_number
from kit import audit
from kit.db import one_or_404
from kit.problems import Problem, conflict, invalid
from logistics.adapters.population_register import PopulationRegister
from logistics.catalogue.models import Article
from logistics.orders.models import Order, OrderLine
from logistics.recipients import rules
from logistics.recipients.models import Holding, HoldingEvent, Recipient, RecipientMunicipality
from logistics.stock.models import IndividualEvent
from logistics.tenancy import Scope

LOOK_UP = "population register look-up"


async def municipalities_of(session: AsyncSession, recipient_id: uuid.UUID) -> set[uuid.UUID]:
    return set((await session.execute(select(RecipientMunicipality.municipality_id)
                                      .where(RecipientMunicipality.recipient_id == recipient_id))).scalars())


async def belongs_to(session: AsyncSession, recipient_id: uuid.UUID, municipality_id: uuid.UUID) -> None:
    """The recipient was registered or prescribed for in one of this municipality's units: it belongs to it."""
    await session.execute(insert(RecipientMunicipality).values(recipient_id=recipient_id, municipality_id=municipality_id)
                          .on_conflict_do_nothing())


async def visible(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID, *, action: str = "read recipient",
                  target: str | None = None, lock: bool = False, audited: bool = True) -> Recipient:
    """The recipient, if it belongs to one of the caller's municipalities (aid-centre staff: of their
    region, or to none); otherwise not found, as a missing one, with the denial audited. The read itself
    is audited in the request's transaction (who, whose, what, when, in which organisation)."""
    found = await session.get(Recipient, recipient_id, with_for_update=lock)
    if found is None or not _sees(scope, await municipalities_of(session, found.id)):
        raise await scope.not_visible("recipient", recipient_id, action=action, subject=found.id if found else None)
    if audited:
        await audit.write(session, actor=scope.account_id, subject=found.id, action=action, target=target,
                          organisation=scope.organisation)
    return found


def _sees(scope: Scope, municipalities: set[uuid.UUID]) -> bool:
    if scope.everything:
        return True
    if not municipalities:
        return scope.staff
    return bool(municipalities & scope.municipalities)


async def add_patient(session: AsyncSession, scope: Scope, register: PopulationRegister, personal_number: str,
                      reason: str, municipality_id: uuid.UUID | None) -> tuple[Recipient, bool]:
    """The patient with this number, added from the population register the first time (returns created?).
    The look-up is audited with the reason the prescriber gives; the recipient then belongs to the
    municipality of the prescriber's service unit (``municipality_id``; none for the aid centre)."""
    try:
        number = swedish_personal_number(personal_number)
    except IdentityNumberError as exc:
        raise invalid(str(exc)) from exc
    existing = (await session.execute(select(Recipient).where(Recipient.personal_number == number))).scalar_one_or_none()
    if existing is not None:
        await _looked_up(session, scope, existing.id, number, reason, municipality_id)
        return existing, False
    person = await register.lookup(number)
    if person is None:
        await audit.write(session, actor=scope.account_id, subject=None, action=LOOK_UP, target=f"{mask(number)}: not found",
                          organisation=scope.organisation, reason=reason)
        raise Problem(404, "not-in-population-register", f"{mask(number)} is not in the population register")
    inserted = await session.execute(insert(Recipient).values(
        id=uuid.uuid4(), kind="patient", personal_number=number, name=person.name, street=person.street,
        postal_code=person.postal_code, city=person.city, infection_flag=False,
    ).on_conflict_do_nothing(index_elements=["personal_number"]).returning(Recipient.id))
    created = inserted.scalar()
    found = (await session.execute(select(Recipient).where(Recipient.personal_number == number))).scalar_one()
    await _looked_up(session, scope, found.id, number, reason, municipality_id)
    return found, created is not None


async def _looked_up(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID, number: str, reason: str,
                     municipality_id: uuid.UUID | None) -> None:
    await audit.write(session, actor=scope.account_id, subject=recipient_id, action=LOOK_UP, target=mask(number),
                      organisation=scope.organisation, reason=reason)
    if municipality_id is not None:
        await belongs_to(session, recipient_id, municipality_id)


async def add_care_unit(session: AsyncSession, scope: Scope, number: str, name: str, street: str, postal_code: str, city: str,
                        municipality_id: uuid.UUID | None) -> tuple[Recipient, bool]:
    """The care unit with this number, added the first time (returns created?); two clerks adding the same
    unit at once both get it. It belongs to the municipality of the prescriber's service unit from now on."""
    inserted = await session.execute(insert(Recipient).values(
        id=uuid.uuid4(), kind="care_unit", care_unit_number=number, name=name, street=street,
        postal_code=postal_code, city=city, infection_flag=False,
    ).on_conflict_do_nothing(index_elements=["care_unit_number"]).returning(Recipient.id))
    created = inserted.scalar()
    found = (await session.execute(select(Recipient).where(Recipient.care_unit_number == number))).scalar_one()
    await audit.write(session, actor=scope.account_id, subject=found.id, action="register care unit", target=number,
                      organisation=scope.organisation)
    if municipality_id is not None:
        await belongs_to(session, found.id, municipality_id)
    return found, created is not None


async def recipient(session: AsyncSession, recipient_id: uuid.UUID, *, lock: bool = False) -> Recipient:
    """Unscoped: for callers that checked visibility already (``visible``)."""
    return await one_or_404(session, Recipient, recipient_id, "recipient", lock=lock)


async def edit(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID, changes: dict) -> Recipient:
    """Phone, door code and the infection flag; the name and address come from the register."""
    found = await visible(session, scope, recipient_id, action="change recipient", lock=True)
    for field, value in changes.items():
        setattr(found, field, value)
    return found


async def returned(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID) -> list[IndividualEvent]:
    await visible(session, scope, recipient_id, action="read recipient history", target="returned")
    return list((await session.execute(select(IndividualEvent).where(
        IndividualEvent.recipient_id == recipient_id, IndividualEvent.kind == "returned").order_by(IndividualEvent.at.desc()))).scalars())


# -- holdings (LG-21) -------------------------------------------------------------------------------------------
async def hold(session: AsyncSession, actor: uuid.UUID, order: Order, line: OrderLine, article: Article,
               at: datetime) -> Holding | None:
    """A delivered line of an article without individual numbers: the recipient holds its quantity from now
    on, for the order's service unit and payer. Individuals and services are not held this way (None)."""
    if not rules.is_held(article.article_type, article.individual_tracked):
        return None
    holding = Holding(id=uuid.uuid4(), recipient_id=order.recipient_id, article_id=article.id, order_id=order.id,
                      order_line_id=line.id, delivered_quantity=line.quantity, quantity=line.quantity, delivered_at=at,
                      service_unit_id=order.service_unit_id, service_unit_code=order.service_unit_code,
                      service_unit=order.service_unit, municipality_id=order.municipality_id, payer_code=order.payer_code,
                      payer=order.payer)
    session.add(holding)
    await session.flush()
    session.add(HoldingEvent(holding_id=holding.id, kind="delivered", quantity=line.quantity,
                             detail=f"order {order.case_number}", actor_id=actor))
    return holding


async def holdings_of(session: AsyncSession, recipient_id: uuid.UUID, *, consumables: bool | None = None,
                      lock: bool = False) -> list[tuple[Holding, Article]]:
    """What the recipient holds now (ended holdings left out), newest delivery first. ``consumables``: only
    them (True), none of them (False) or all (None)."""
    query = (select(Holding, Article).join(Article, Article.id == Holding.article_id)
             .where(Holding.recipient_id == recipient_id, Holding.quantity > 0)
             .order_by(Holding.delivered_at.desc(), Holding.id))
    if consumables is not None:
        query = query.where((Article.article_type == "consumable") if consumables else (Article.article_type != "consumable"))
    if lock:
        query = query.with_for_update(of=Holding)
    return [(h, a) for h, a in (await session.execute(query)).all()]


async def held_aids(session: AsyncSession, recipient_id: uuid.UUID, *, consumables: bool | None = None
                    ) -> list[tuple[Holding, Article, str | None]]:
    """The views' and printouts' holdings (as ``holdings_of``) with the case number of the order each came from."""
    rows = await holdings_of(session, recipient_id, consumables=consumables)
    ids = {h.order_id for h, _ in rows}
    numbers = dict((await session.execute(select(Order.id, Order.case_number).where(Order.id.in_(ids)))).all()) if ids else {}
    return [(h, a, numbers.get(h.order_id)) for h, a in rows]


async def chosen_holdings(session: AsyncSession, recipient_id: uuid.UUID, wanted: list[dict],
                          on_pickup: dict[uuid.UUID, int] | None = None) -> list[tuple[Holding, Article, int]]:
    """The recipient's holdings a pickup, return or receipt names (``wanted``: holding_id and/or article_id, and
    quantity), locked, with the quantity taken from each: never more than is held and not already named by a
    registered pickup (``on_pickup``); consumables refused (LG-18)."""
    if not wanted:
        return []
    ids = {uuid.UUID(str(w["article_id"])) for w in wanted if w.get("article_id")}
    articles = {a.id: a for a in (await session.execute(select(Article).where(Article.id.in_(ids)))).scalars()} if ids else {}
    unknown = [str(i) for i in ids if i not in articles]
    if unknown:
        raise invalid(f"unknown articles: {', '.join(sorted(unknown))}")
    try:
        for article in articles.values():
            rules.may_come_back(article.article_type, f"{article.number} {article.name}")
    except rules.HoldingRuleError as exc:
        raise invalid(str(exc)) from exc
    rows = await holdings_of(session, recipient_id, lock=True)
    rows.reverse()  # oldest first: an article named without its holding is taken from the oldest
    by_id = {h.id: (h, a) for h, a in rows}
    try:
        for w in wanted:
            if w.get("holding_id") and (found := by_id.get(uuid.UUID(str(w["holding_id"])))) is not None:
                rules.may_come_back(found[1].article_type, f"{found[1].number} {found[1].name}")
        held = [rules.Held(h.id, h.article_id, h.quantity, (on_pickup or {}).get(h.id, 0)) for h, _ in rows]
        taken = rules.take_many(held, [rules.Wanted(
            quantity=int(w.get("quantity", 1)), holding_id=uuid.UUID(str(w["holding_id"])) if w.get("holding_id") else None,
            article_id=uuid.UUID(str(w["article_id"])) if w.get("article_id") else None,
            label=_label(articles.get(uuid.UUID(str(w["article_id"]))) if w.get("article_id") else None)) for w in wanted])
    except rules.MoreThanHeld as exc:
        raise conflict("more-than-held", str(exc), held=exc.held) from exc
    except rules.HoldingRuleError as exc:
        raise invalid(str(exc)) from exc
    return [(*by_id[holding_id], quantity) for holding_id, quantity in taken]


def _label(article: Article | None) -> str:
    return f"{article.number} {article.name}" if article is not None else ""


async def give_back(session: AsyncSession, actor: uuid.UUID, holding: Holding, quantity: int, *, kind: str, detail: str) -> None:
    """``quantity`` of the holding came back (``kind``: returned, scrapped): the held quantity goes down, and at
    0 the holding ends (kept, with its end date, for the history)."""
    try:
        holding.quantity = rules.left_after(holding.quantity, quantity)
    except rules.MoreThanHeld as exc:
        raise conflict("more-than-held", f"holding {holding.id}: {exc}", held=exc.held) from exc
    if holding.quantity == 0:
        holding.ended_at = datetime.now(UTC)
    session.add(HoldingEvent(holding_id=holding.id, kind=kind, quantity=quantity, detail=detail, actor_id=actor))


async def holdings_back(session: AsyncSession, recipient_id: uuid.UUID) -> list[tuple[HoldingEvent, Holding, Article]]:
    """What came back of the recipient's holdings (returned, picked up, scrapped), newest first."""
    query = (select(HoldingEvent, Holding, Article).join(Holding, Holding.id == HoldingEvent.holding_id)
             .join(Article, Article.id == Holding.article_id)
             .where(Holding.recipient_id == recipient_id, HoldingEvent.kind.in_(("returned", "scrapped")))
             .order_by(HoldingEvent.at.desc()))
    return [(e, h, a) for e, h, a in (await session.execute(query)).all()]
