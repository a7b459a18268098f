"""Invented demo data: a realistic assortment across ISO 9999 classes (a few hundred articles with
replacement groups and individual templates), two aid-centre warehouses, kit.demo's two municipalities with
their buffer stores (K1201, K1202), individuals whose stores' balances count them, recipients of both
municipalities, news, and the work of kit.demo's prescribers: their first-login settings (matching their
grants), one recipient of Exempelkommunen with delivered aids of every kind (a serial-tracked individual, a
non-serial accessory, a consumable), an open activity and a deviation on it. Every name, supplier and
person is made up; the personal identity numbers are invented with valid check digits. ``python -m
logistics seed`` loads it (idempotent); the benchmark uses ``catalogue_rows`` to make 50,000 articles.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import luhn_ok
from kit.db import Database
from kit.demo import BY_KEY, BY_USERNAME, demo_id
from logistics.activities.models import Activity, Deviation
from logistics.adapters.population_register import DevelopmentPopulationRegister
from logistics.case_numbers import next_case_number
from logistics.catalogue.models import (
    Article,
    ArticleComponent,
    IsoClass,
    ReplacementGroup,
    ReplacementMember,
)
from logistics.orders.models import Order, OrderLine
from logistics.prescribers.models import News, Prescriber
from logistics.recipients.models import Holding, HoldingEvent, Recipient, RecipientMunicipality
from logistics.settings import Settings
from logistics.stock.models import Individual, IndividualEvent, StockBalance, Warehouse

SYSTEM = uuid.UUID(int=0)

#: A selection of ISO 9999 classes (2-digit class, 4-digit subclass, 6-digit division), Swedish titles
ISO = {
    "04": "Hjälpmedel för behandling", "0433": "Hjälpmedel för att förebygga trycksår",
    "043306": "Madrasser och dynor för trycksårsprevention",
    "09": "Hjälpmedel för personlig vård", "0912": "Hjälpmedel vid toalettbesök", "091203": "Toalettstolar",
    "091212": "Toalettförhöjningar", "0933": "Hjälpmedel för tvättning och duschning", "093303": "Bad- och duschstolar",
    "12": "Hjälpmedel för personlig förflyttning", "1203": "Gåhjälpmedel som hanteras med en arm", "120303": "Käppar",
    "1206": "Gåhjälpmedel som hanteras med båda armarna", "120606": "Rollatorer", "120612": "Gåbord",
    "1222": "Manuella rullstolar", "122203": "Manuella rullstolar drivna med båda armarna",
    "1223": "Eldrivna rullstolar", "122306": "Eldrivna rullstolar med elektronisk styrning",
    "1224": "Tillbehör till rullstolar", "122409": "Sittdynor och ryggstöd till rullstolar",
    "1236": "Hjälpmedel för lyftning", "123603": "Mobila personlyftar", "123612": "Takmonterade personlyftar",
    "123621": "Lyftselar",
    "18": "Inredning och anpassning av bostäder", "1812": "Sängar", "181210": "Sängar, elektriskt reglerbara",
    "181218": "Sänggrindar", "22": "Hjälpmedel för kommunikation och information", "2206": "Hörhjälpmedel",
    "220606": "Hörselförstärkare",
}

#: per division: name stems, article type, debit form, aid class, individual tracked, price range (kr)
FAMILIES = {
    "043306": (["Tryckavlastande madrass", "Luftmadrass växeltryck", "Sittdyna gel"], "main", "rent", "A", True, (1500, 18000)),
    "091203": (["Toalettstol hjul", "Toalettstol fast"], "main", "purchase", "B", False, (900, 4000)),
    "091212": (["Toalettförhöjning", "Toalettförhöjning med armstöd"], "main", "purchase", "B", False, (300, 1500)),
    "093303": (["Duschpall", "Duschstol med rygg", "Dusch- och toalettstol"], "main", "purchase", "B", True, (400, 6000)),
    "120303": (["Käpp justerbar", "Fyrfotskäpp", "Kryckkäpp"], "main", "purchase", "B", False, (150, 900)),
    "120606": (["Rollator", "Rollator inomhus", "Rollator lätt"], "main", "purchase", "B", True, (1800, 6500)),
    "120612": (["Gåbord", "Gåbord med underarmsstöd"], "main", "rent", "A", True, (6000, 16000)),
    "122203": (["Rullstol manuell", "Rullstol komfort", "Rullstol aktiv"], "main", "rent", "A", True, (5000, 30000)),
    "122306": (["Elrullstol inomhus", "Elrullstol utomhus"], "main", "rent", "A", True, (35000, 120000)),
    "122409": (["Sittdyna", "Ryggstöd", "Armstöd", "Benstöd", "Tippskydd"], "accessory", "purchase", "B", False, (200, 4000)),
    "123603": (["Mobil personlyft", "Stålyft"], "main", "rent", "A", True, (20000, 60000)),
    "123612": (["Taklyft", "Taklyft med skenor"], "main", "rent", "A", True, (25000, 70000)),
    "123621": (["Lyftsele hel", "Lyftsele delad", "Toalettsele"], "accessory", "purchase", "B", False, (800, 3500)),
    "181210": (["Säng elreglerbar", "Vårdsäng"], "main", "rent", "A", True, (12000, 40000)),
    "181218": (["Sänggrind", "Sänggrindsskydd"], "accessory", "rent", "A", False, (600, 3000)),
    "220606": (["Hörselförstärkare", "Halsslinga"], "main", "purchase", "B", False, (700, 5000)),
}
CONSUMABLES = [("120303", "Kryckkäppsdopp"), ("122409", "Överdrag sittdyna"), ("043306", "Skyddsöverdrag madrass"),
               ("220606", "Batteri hörselförstärkare")]
SUPPLIERS = ["Exempel Medical AB", "Provrehab AB", "Demo Hjälpmedel AB", "Fiktiv Care Oy", "Testa Mobility A/S",
             "Nordisk Exempelteknik AB"]
VARIANTS = ["låg", "standard", "hög", "smal", "bred", "XL", "barn", "junior"]

#: the buffer stores are kit.demo's (code, name, and its municipality's name)
WAREHOUSES = [("100", "Hjälpmedelscentralen centrallager", "aid_centre", None),
              ("200", "Hjälpmedelscentralen norra lager", "aid_centre", None),
              *[(BY_KEY[store].code, BY_KEY[store].name, "buffer_store", BY_KEY[BY_KEY[store].parent].name)
                for store in ("store.1", "store.2")]]
#: kit.demo's prescribers: their default service unit and own store (as granted in kit.demo)
PRESCRIBERS = {"demo.prescriber": ("unit.1a", "store.1"), "demo.prescriber2": ("unit.2a", "store.2")}


def iso_rows() -> list[dict]:
    return [{"code": code, "title": title, "parent_code": code[:-2] or None} for code, title in sorted(ISO.items(), key=lambda i: i[0])]


def catalogue_rows(count: int, *, seed: int = 9999, first_number: int = 100_000) -> list[dict]:
    """``count`` invented articles spread over the divisions (about one in ten a consumable)."""
    rng = random.Random(seed)
    divisions = list(FAMILIES)
    rows = []
    for index in range(count):
        number = str(first_number + index)
        if index % 10 == 9:
            iso_code, stem = CONSUMABLES[rng.randrange(len(CONSUMABLES))]
            kind, debit, aid_class, tracked, (low, high) = "consumable", "purchase", "B", False, (20, 400)
        else:
            iso_code = divisions[index % len(divisions)]
            stems, kind, debit, aid_class, tracked, (low, high) = FAMILIES[iso_code]
            stem = stems[rng.randrange(len(stems))]
        supplier = SUPPLIERS[rng.randrange(len(SUPPLIERS))]
        model = f"{chr(65 + rng.randrange(26))}{rng.randrange(10, 999)}"
        rows.append({
            "id": uuid.UUID(int=rng.getrandbits(128)), "number": number,
            "name": f"{stem} {model} {VARIANTS[rng.randrange(len(VARIANTS))]}", "supplier": supplier,
            "supplier_article_number": f"{supplier[:3].upper()}-{rng.randrange(10000, 99999)}", "article_type": kind,
            "unit": "st" if kind != "consumable" else "fp", "pack_size": 1 if kind != "consumable" else rng.choice([5, 10, 25]),
            "product_group": ISO[iso_code[:4]], "iso_code": iso_code, "new_price_minor": rng.randrange(low, high) * 100,
            "currency": "SEK", "debit_form": debit, "aid_class": aid_class, "individual_tracked": tracked,
            "responsibility": "Hjälpmedelscentralen" if aid_class == "A" else "Kommunen",
            "documents": [{"title": "Bruksanvisning", "url": f"https://example.org/docs/{number}.pdf"}] if kind == "main" else [],
            "expires_on": date(2025, 12, 31) if index % 97 == 96 else None,
        })
    return rows


def invented_personal_number(rng: random.Random) -> str:
    while True:
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 60))
        body = f"{born:%Y%m%d}{rng.randrange(100, 999)}"
        for check in range(10):
            if luhn_ok(body[2:] + str(check)) and not (body + str(check)).endswith("0000"):
                return body + str(check)


async def load(session: AsyncSession, *, articles: int = 400) -> dict[str, int]:
    """Load the demo data unless it is there (the ISO classes are upserted; the rest only once)."""
    await session.execute(insert(IsoClass).values(iso_rows()).on_conflict_do_nothing())
    if (await session.execute(select(func.count()).select_from(Article))).scalar_one() > 0:
        return {"articles": 0}
    rng = random.Random(2026)
    rows = catalogue_rows(articles)
    for start in range(0, len(rows), 1000):
        await session.execute(insert(Article).values(rows[start:start + 1000]))
    await session.execute(insert(Warehouse).values([{"code": c, "name": n, "kind": k, "municipality": m} for c, n, k, m in WAREHOUSES])
                          .on_conflict_do_nothing())
    # the balance of an article without individual numbers is a count; an individual-marked article's
    # balance is the number of its individuals in the store, so it is counted from them below
    balances = []
    for row in rows:
        for code, *_ in WAREHOUSES:
            if not row["individual_tracked"] and rng.random() < 0.6:
                balances.append({"warehouse_code": code, "article_id": row["id"], "quantity": rng.choice([-1, 0, 0, 1, 2, 3, 5, 8, 12])})
    await session.execute(insert(StockBalance).values(balances))
    # replacement groups: the rollators, ranked by price
    rollators = sorted((r for r in rows if r["iso_code"] == "120606"), key=lambda r: r["new_price_minor"])[:4]
    group = uuid.uuid4()
    session.add(ReplacementGroup(id=group, name="Rollatorer standard"))
    await session.flush()
    await session.execute(insert(ReplacementMember).values([{"group_id": group, "article_id": r["id"], "rank": i + 1}
                                                            for i, r in enumerate(rollators)]))
    # individual templates: every manual wheelchair has standard arm and leg rests and an optional anti-tip
    accessories = {stem: next(r for r in rows if r["iso_code"] == "122409" and r["name"].startswith(stem))
                   for stem in ("Armstöd", "Benstöd", "Tippskydd")}
    for chair in (r for r in rows if r["iso_code"] == "122203"):
        await session.execute(insert(ArticleComponent).values([
            {"article_id": chair["id"], "component_id": accessories["Armstöd"]["id"], "standard": True, "quantity": 2},
            {"article_id": chair["id"], "component_id": accessories["Benstöd"]["id"], "standard": True, "quantity": 2},
            {"article_id": chair["id"], "component_id": accessories["Tippskydd"]["id"], "standard": False, "quantity": 1}]))
    # individuals in every store, and recipients
    register = DevelopmentPopulationRegister()
    recipients = []
    for _ in range(6):
        number = invented_personal_number(rng)
        person = await register.lookup(number)
        recipients.append(Recipient(id=uuid.uuid4(), kind="patient", personal_number=number, name=person.name, street=person.street,
                                    postal_code=person.postal_code, city=person.city, phone="010-000 00 00", infection_flag=False))
    recipients.append(Recipient(id=uuid.uuid4(), kind="care_unit", care_unit_number="4711", name="Exempelgårdens korttidsboende",
                                street="Vårdvägen 3", postal_code="411 01", city="Göteborg", infection_flag=True))
    session.add_all(recipients)
    await session.flush()
    # the first three patients and the care unit are Exempelkommunen's, the other three Provkommunen's
    homes = ["municipality.1"] * 3 + ["municipality.2"] * 3 + ["municipality.1"]
    await session.execute(insert(RecipientMunicipality).values([{"recipient_id": r.id, "municipality_id": demo_id(home)}
                                                                for r, home in zip(recipients, homes, strict=True)]))
    tracked = [r for r in rows if r["individual_tracked"]]
    individuals = 0
    in_stores: Counter[tuple[str, uuid.UUID]] = Counter()
    for index, row in enumerate(tracked[:60]):
        store = WAREHOUSES[index % len(WAREHOUSES)][0]
        individual = Individual(id=uuid.uuid4(), number=f"{row['number']}-{index:03d}", serial_number=f"SN{rng.randrange(10**7, 10**8)}",
                                article_id=row["id"], status="in_stock", warehouse_code=store,
                                purchase_date=date(2020, 1, 1) + timedelta(days=rng.randrange(1800)),
                                acquisition_value_minor=row["new_price_minor"], warranty_until=date(2027, 6, 30))
        session.add(individual)
        await session.flush()
        session.add(IndividualEvent(individual_id=individual.id, kind="registered", detail=f"in store {store}", actor_id=SYSTEM))
        individuals += 1
        in_stores[(store, row["id"])] += 1
    await session.execute(insert(StockBalance).values([{"warehouse_code": code, "article_id": article, "quantity": count}
                                                       for (code, article), count in in_stores.items()]))
    session.add(News(id=uuid.uuid4(), title="Välkommen till hjälpmedelsportalen",
                     body="Här publicerar hjälpmedelscentralen nyheter om sortiment och leveranser.", author_id=SYSTEM))
    for username, (unit, store) in PRESCRIBERS.items():
        person = BY_USERNAME[username]
        await session.execute(insert(Prescriber).values(
            account_id=person.id, name=person.display_name, default_source="aid_centre", service_unit_id=demo_id(unit),
            own_stores=[BY_KEY[store].code], expired_articles_enabled=False).on_conflict_do_nothing())
    delivered = await _delivered_aids(session, rng, rows, tracked[60], recipients[0])
    return {"articles": len(rows), "individuals": individuals + 1, "recipients": len(recipients), **delivered}


async def _delivered_aids(session: AsyncSession, rng: random.Random, rows: list[dict], tracked: dict,
                          recipient: Recipient) -> dict[str, int]:
    """demo.prescriber's delivered order for an Exempelkommunen patient with an aid of every kind: a
    serial-tracked individual (delivered: in no store's balance), a non-serial accessory (two, held by
    quantity) and a consumable (held, shown in its own view);
    an open activity on the individual and a deviation."""
    prescriber, unit = BY_USERNAME["demo.prescriber"], BY_KEY["unit.1a"]
    payer = BY_KEY[unit.parent]  # type: ignore[index]
    accessory = next(r for r in rows if r["article_type"] == "accessory" and not r["individual_tracked"])
    consumable = next(r for r in rows if r["article_type"] == "consumable" and r["expires_on"] is None)
    now = datetime.now(UTC)
    order = Order(id=uuid.uuid4(), case_number=await next_case_number(session, now - timedelta(days=14)),
                  prescriber_id=prescriber.id, orderer_id=prescriber.id, service_unit_id=unit.id, service_unit_code=unit.code,
                  service_unit=unit.name, municipality_id=payer.id, payer_code=payer.code, payer=payer.name,
                  recipient_id=recipient.id, status="delivered", infection_flag=False, joint_delivery=False,
                  delivery_address=f"{recipient.street}, {recipient.postal_code} {recipient.city}", our_reference=unit.name,
                  planned_delivery=(now - timedelta(days=10)).date(), submitted_at=now - timedelta(days=14),
                  closed_at=now - timedelta(days=10))
    session.add(order)
    await session.flush()
    lines = [(OrderLine(id=uuid.uuid4(), order_id=order.id, article_id=article["id"], quantity=quantity, source="aid_centre",
                        warehouse_code="100", components=[]), article)
             for article, quantity in ((tracked, 1), (accessory, 2), (consumable, 1))]
    session.add_all([line for line, _ in lines])
    await session.flush()
    # the accessory and the consumable have no individual numbers: the patient holds them by quantity (LG-21)
    for line, article in lines[1:]:
        holding = Holding(id=uuid.uuid4(), recipient_id=recipient.id, article_id=article["id"], order_id=order.id, order_line_id=line.id,
                          delivered_quantity=line.quantity, quantity=line.quantity, delivered_at=now - timedelta(days=10),
                          service_unit_id=unit.id, service_unit_code=unit.code, service_unit=unit.name, municipality_id=payer.id,
                          payer_code=payer.code, payer=payer.name)
        session.add(holding)
        await session.flush()
        session.add(HoldingEvent(holding_id=holding.id, kind="delivered", quantity=line.quantity, detail=f"order {order.case_number}",
                                 actor_id=SYSTEM, at=now - timedelta(days=10)))
    individual = Individual(id=uuid.uuid4(), number=f"{tracked['number']}-D01", serial_number=f"SN{rng.randrange(10**7, 10**8)}",
                            article_id=tracked["id"], status="delivered", stock_status="ready", warehouse_code=None,
                            recipient_id=recipient.id, purchase_date=date(2024, 3, 1),
                            acquisition_value_minor=tracked["new_price_minor"], warranty_until=date(2028, 3, 1))
    session.add(individual)
    await session.flush()
    session.add_all([IndividualEvent(individual_id=individual.id, kind="registered", detail="in store 100", actor_id=SYSTEM,
                                     at=now - timedelta(days=30)),
                     IndividualEvent(individual_id=individual.id, kind="delivered", detail=f"order {order.case_number}",
                                     recipient_id=recipient.id, actor_id=SYSTEM, at=now - timedelta(days=10))])
    activity = Activity(id=uuid.uuid4(), case_number=await next_case_number(session), activity_type="adjustment", priority="normal",
                        status="open", prescriber_id=prescriber.id, service_unit_id=unit.id, service_unit_code=unit.code,
                        service_unit=unit.name, municipality_id=payer.id, recipient_id=recipient.id, individual_id=individual.id,
                        article_id=tracked["id"], infection_flag=False, description="Justera sitthöjden, brukaren glider fram.")
    deviation = Deviation(id=uuid.uuid4(), case_number=await next_case_number(session), event_type="near_miss",
                          category="Leverans", description="Fel sittdyna levererad först, byttes samma dag.",
                          prescriber_id=prescriber.id, service_unit_id=unit.id, service_unit_code=unit.code, service_unit=unit.name,
                          municipality_id=payer.id, recipient_id=recipient.id, individual_ids=[individual.id])
    session.add_all([activity, deviation])
    await session.flush()
    session.add(IndividualEvent(individual_id=individual.id, kind="activity", detail=f"adjustment {activity.case_number}",
                                recipient_id=recipient.id, actor_id=prescriber.id))
    return {"delivered_orders": 1, "holdings": len(lines) - 1, "open_activities": 1, "deviations": 1}


async def seed() -> None:
    settings = Settings()
    db = Database.from_settings(settings)
    try:
        async with db.transaction() as session:
            made = await load(session)
        print(f"logistics demo data: {made}", flush=True)
    finally:
        await db.dispose()
