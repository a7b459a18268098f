"""Pickup and return use cases (LG-12, LG-13)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.logistics.v1 import IndividualStatusChanged, PickupCreated, PickupDone, ReturnDone
from kit import outbox
from kit.problems import Problem, conflict, invalid
from logistics.case_numbers import next_case_number
from logistics.catalogue.models import Article
from logistics.prescribers.models import Prescriber
from logistics.pseudonyms import recipient_ref
from logistics.recipients import service as recipients
from logistics.recipients.models import Holding
from logistics.returns.models import Pickup, ReturnReceipt
from logistics.stock.models import Individual, IndividualEvent, StockBalance
from logistics.tenancy import Scope

AID_CENTRE_WAREHOUSE = "100"  # where picked-up aids come in, to be cleaned and checked


async def _recipients_individuals(session: AsyncSession, recipient_id: uuid.UUID, ids: list[uuid.UUID]) -> list[tuple[Individual, Article]]:
    rows = (await session.execute(select(Individual, Article).join(Article, Article.id == Individual.article_id)
                                  .where(Individual.id.in_(ids)).order_by(Individual.number).with_for_update(of=Individual))).all()
    found = {i.id: (i, a) for i, a in rows}
    strangers = [str(i) for i in ids if i not in found or found[i][0].recipient_id != recipient_id]
    if strangers:
        raise invalid(f"not with this recipient: {', '.join(strangers)}")
    return [found[i] for i in ids]


async def _back_in(session: AsyncSession, actor: uuid.UUID, individual: Individual, article: Article, *, warehouse: str | None,
                   scrapped: bool, kind: str, detail: str, key: str) -> None:
    recipient = individual.recipient_id
    individual.recipient_id = None
    if scrapped:
        individual.status, individual.warehouse_code, individual.stock_status = "scrapped", None, "scrapped"
    else:
        individual.status, individual.warehouse_code, individual.stock_status = "in_stock", warehouse, "needs_cleaning"
        await session.execute(insert(StockBalance).values(warehouse_code=warehouse, article_id=article.id, quantity=1, reserved=0)
                              .on_conflict_do_update(index_elements=["warehouse_code", "article_id"],
                                                     set_={"quantity": StockBalance.quantity + 1}))
    session.add(IndividualEvent(individual_id=individual.id, kind=kind, detail=detail, recipient_id=recipient, actor_id=actor))
    await outbox.add(session, IndividualStatusChanged(individual_id=individual.id, individual_number=individual.number,
                                                      article_number=article.number, status=individual.status,
                                                      recipient_ref=recipient_ref(key, recipient) if recipient else None))


async def _holding_back_in(session: AsyncSession, actor: uuid.UUID, holding: Holding, quantity: int, *, warehouse: str | None,
                           scrapped: bool, detail: str) -> None:
    """``quantity`` of a holding came back: off the recipient, into the store's balance unless scrapped."""
    await recipients.give_back(session, actor, holding, quantity, kind="scrapped" if scrapped else "returned", detail=detail)
    if not scrapped:
        await session.execute(insert(StockBalance).values(warehouse_code=warehouse, article_id=holding.article_id, quantity=quantity,
                                                          reserved=0)
                              .on_conflict_do_update(index_elements=["warehouse_code", "article_id"],
                                                     set_={"quantity": StockBalance.quantity + quantity}))


async def _on_pickup(session: AsyncSession, recipient_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Per holding, the quantity registered pickups of the recipient name (not yet fetched)."""
    named: dict[uuid.UUID, int] = {}
    for articles in (await session.execute(select(Pickup.articles).where(Pickup.recipient_id == recipient_id,
                                                                         Pickup.status == "registered"))).scalars():
        for entry in articles:
            if entry.get("holding_id"):
                key = uuid.UUID(entry["holding_id"])
                named[key] = named.get(key, 0) + int(entry["quantity"])
    return named


async def _chosen_holdings(session: AsyncSession, recipient_id: uuid.UUID, wanted: list[dict]) -> list[tuple[Holding, Article, int]]:
    """The named holdings and quantities; the recipient's holdings are locked first, so what registered
    pickups name cannot change before it is counted."""
    if not wanted:
        return []
    await recipients.holdings_of(session, recipient_id, lock=True)
    return await recipients.chosen_holdings(session, recipient_id, wanted, await _on_pickup(session, recipient_id))


async def create_pickup(session: AsyncSession, scope: Scope, prescriber: Prescriber, key: str, *, recipient_id: uuid.UUID,
                        reason: str, individual_ids: list[uuid.UUID], articles: list[dict], pickup_address: str | None,
                        contact: str | None, instructions: str | None, infection_flag: bool | None, comment: str | None,
                        service_unit_id: uuid.UUID | None = None) -> Pickup:
    """LG-12, for the chosen (or default) granted service unit and a recipient of the caller's municipalities.
    Aids without individual numbers are named by the recipient's holding (or article) and a quantity: not
    more than is held and not on another registered pickup; consumables are not picked up (LG-18).
    "Returned but not deregistered": the aids are already back, so they are deregistered at once."""
    unit = scope.unit(service_unit_id, prescriber.service_unit_id)
    recipient = await recipients.visible(session, scope, recipient_id, action="pickup for recipient")
    if not individual_ids and not articles:
        raise invalid("choose the aids to pick up")
    chosen = await _recipients_individuals(session, recipient.id, individual_ids)
    held = await _chosen_holdings(session, recipient.id, articles)
    if reason == "ceiling_lift_supplier" and any(a.iso_code[:4] != "1236" for _, a in chosen + [(h, a) for h, a, _ in held]):
        raise invalid("a supplier pickup of a ceiling lift names ceiling lifts and their parts only")
    pickup = Pickup(id=uuid.uuid4(), case_number=await next_case_number(session), prescriber_id=prescriber.account_id,
                    service_unit_id=unit.id, service_unit_code=unit.code, service_unit=unit.name, municipality_id=unit.parent_id,
                    recipient_id=recipient.id, reason=reason, status="registered",
                    individual_ids=[i.id for i, _ in chosen],
                    articles=[{"holding_id": str(h.id), "article_id": str(h.article_id), "quantity": quantity} for h, _, quantity in held],
                    pickup_address=pickup_address or f"{recipient.street}, {recipient.postal_code} {recipient.city}",
                    contact=contact, instructions=instructions,
                    infection_flag=recipient.infection_flag if infection_flag is None else infection_flag, comment=comment)
    session.add(pickup)
    await session.flush()
    if reason == "returned_not_deregistered":
        for individual, article in chosen:
            await _back_in(session, prescriber.account_id, individual, article, warehouse=AID_CENTRE_WAREHOUSE, scrapped=False,
                           kind="returned", detail=f"pickup {pickup.case_number}: returned, deregistered at once", key=key)
        for holding, _, quantity in held:  # the chosen accessories: deregistered at once (LG-12)
            await _holding_back_in(session, prescriber.account_id, holding, quantity, warehouse=AID_CENTRE_WAREHOUSE, scrapped=False,
                                   detail=f"pickup {pickup.case_number}: returned, deregistered at once")
        pickup.status, pickup.done_at = "done", datetime.now(UTC)
    await outbox.add(session, PickupCreated(pickup_id=pickup.id, case_number=pickup.case_number, reason=reason,
                                            service_unit=pickup.service_unit, recipient_ref=recipient_ref(key, recipient.id),
                                            individual_numbers=[i.number for i, _ in chosen]))
    if pickup.status == "done":
        await outbox.add(session, PickupDone(pickup_id=pickup.id, case_number=pickup.case_number))
    return pickup


async def pickup(session: AsyncSession, scope: Scope, pickup_id: uuid.UUID, *, lock: bool = False,
                 action: str = "read pickup") -> Pickup:
    """The pickup order, if of the caller's municipalities (else not found, as a missing one)."""
    query = select(Pickup).where(Pickup.id == pickup_id)
    found = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if found is None or not scope.sees(found.municipality_id):
        raise await scope.not_visible("pickup order", pickup_id, action=action, subject=found.recipient_id if found else None)
    return found


async def pickup_done(session: AsyncSession, scope: Scope, pickup_id: uuid.UUID, key: str) -> Pickup:
    """The aids were fetched: off the recipient's list (a holding by the pickup's quantity), into the aid
    centre's warehouse to be cleaned."""
    actor = scope.account_id
    found = await pickup(session, scope, pickup_id, lock=True, action="pickup done")
    if found.status != "registered":
        raise conflict("pickup-not-registered", f"the pickup is {found.status}")
    for individual, article in await _recipients_individuals(session, found.recipient_id, list(found.individual_ids)):
        await _back_in(session, actor, individual, article, warehouse=AID_CENTRE_WAREHOUSE, scrapped=False, kind="returned",
                       detail=f"pickup {found.case_number}", key=key)
    for entry in found.articles:
        if not entry.get("holding_id"):
            continue  # named by article before holdings were kept: nothing is held to take it from
        holding = await session.get(Holding, uuid.UUID(entry["holding_id"]), with_for_update=True)
        if holding is None or holding.recipient_id != found.recipient_id:
            raise conflict("not-held", f"holding {entry['holding_id']} is no longer the recipient's")
        await _holding_back_in(session, actor, holding, int(entry["quantity"]), warehouse=AID_CENTRE_WAREHOUSE, scrapped=False,
                               detail=f"pickup {found.case_number}")
    found.status, found.done_at = "done", datetime.now(UTC)
    await outbox.add(session, PickupDone(pickup_id=found.id, case_number=found.case_number))
    return found


async def pickup_items(session: AsyncSession, found: Pickup) -> list[tuple[Individual, Article]]:
    rows = (await session.execute(select(Individual, Article).join(Article, Article.id == Individual.article_id)
                                  .where(Individual.id.in_(list(found.individual_ids))).order_by(Individual.number))).all()
    return [(i, a) for i, a in rows]


async def pickup_articles(session: AsyncSession, found: Pickup) -> list[tuple[Article, int]]:
    """The pickup's aids without individual numbers: article and quantity."""
    ids = [uuid.UUID(entry["article_id"]) for entry in found.articles]
    articles = {a.id: a for a in (await session.execute(select(Article).where(Article.id.in_(ids)))).scalars()} if ids else {}
    return [(articles[uuid.UUID(entry["article_id"])], int(entry["quantity"])) for entry in found.articles
            if uuid.UUID(entry["article_id"]) in articles]


async def record_receipt(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID, individual_ids: list[uuid.UUID],
                         holdings: list[dict] | None = None) -> ReturnReceipt:
    """The receipt belongs to the municipality the caller printed it in (one of theirs the recipient belongs to);
    ``holdings``: the non-serial aids handed back, [{"holding_id", "article_id", "quantity"}]."""
    shared = sorted(await recipients.municipalities_of(session, recipient_id) & scope.municipalities)
    receipt = ReturnReceipt(id=uuid.uuid4(), number=await next_case_number(session), recipient_id=recipient_id,
                            individual_ids=individual_ids, holdings=holdings or [], printed_by=scope.account_id,
                            municipality_id=shared[0] if shared else None)
    session.add(receipt)
    await session.flush()
    return receipt


async def return_to_store(session: AsyncSession, scope: Scope, key: str, *, recipient_id: uuid.UUID,
                          receipt_number: str, individual_ids: list[uuid.UUID], warehouse_code: str,
                          scrap: bool, holdings: list[dict] | None = None) -> tuple[list[Individual], list[tuple[Holding, int]]]:
    """LG-13: purchased (B) aids back to the own buffer store, or scrapped — after the return receipt, named
    by the number printed on it. The recipient is of the caller's municipalities, the store their own. Aids
    without individual numbers come back by quantity from the recipient's holdings (not more than held, nor
    than the receipt lists; consumables never, LG-18)."""
    await recipients.visible(session, scope, recipient_id, action="return from recipient")
    holdings = holdings or []
    if not individual_ids and not holdings:
        raise invalid("choose the aids to return")
    receipt = (await session.execute(select(ReturnReceipt).where(ReturnReceipt.number == receipt_number)
                                     .with_for_update())).scalar_one_or_none()
    if receipt is None or receipt.recipient_id != recipient_id or not scope.sees(receipt.municipality_id):
        raise Problem(409, "return-receipt-needed", "print the return receipt for these aids before the return")
    missing = [str(i) for i in individual_ids if i not in set(receipt.individual_ids)]
    listed: dict[str, int] = {}
    for entry in receipt.holdings:
        listed[entry["holding_id"]] = listed.get(entry["holding_id"], 0) + int(entry["quantity"])
    missing += [f"holding {h['holding_id']} × {h['quantity']}" for h in holdings
                if int(h["quantity"]) > listed.get(str(h["holding_id"]), 0)]
    if missing:
        raise Problem(409, "return-receipt-needed", f"the return receipt does not list: {', '.join(missing)}")
    scope.own_store(warehouse_code)
    chosen = await _recipients_individuals(session, recipient_id, individual_ids)
    held = await _chosen_holdings(session, recipient_id, holdings)
    rented = [i.number for i, a in chosen if a.aid_class != "B"]
    rented += [a.number for _, a, _ in held if a.aid_class != "B"]
    if rented:
        raise invalid(f"only purchased (B) aids are returned to an own store; these go back by pickup order: {', '.join(rented)}")
    detail = f"returned to store {warehouse_code}" + (", scrapped" if scrap else "")
    for individual, article in chosen:
        await _back_in(session, scope.account_id, individual, article, warehouse=warehouse_code, scrapped=scrap,
                       kind="scrapped" if scrap else "returned", detail=detail, key=key)
    for holding, _, quantity in held:
        await _holding_back_in(session, scope.account_id, holding, quantity, warehouse=warehouse_code, scrapped=scrap, detail=detail)
    receipt.used_at = datetime.now(UTC)
    await outbox.add(session, ReturnDone(return_id=receipt.id, recipient_ref=recipient_ref(key, recipient_id), warehouse=warehouse_code, scrapped=scrap,
                                         individual_numbers=[i.number for i, _ in chosen]))
    return [i for i, _ in chosen], [(h, q) for h, _, q in held]


async def returned_for(session: AsyncSession, recipient_id: uuid.UUID) -> list[IndividualEvent]:
    return list((await session.execute(select(IndividualEvent).where(
        IndividualEvent.recipient_id == recipient_id, IndividualEvent.kind.in_(("returned", "scrapped")))
        .order_by(IndividualEvent.at.desc()))).scalars())


