"""Logistics I with real servers (the logistics service, PostgreSQL, RabbitMQ) over the invented demo
assortment: search semantics, the ISO tree, replacements, case numbers under concurrency and at the
year boundary, balances and the stock report, individuals (B-only registration, search, renumbering,
delivery), recipients with their views and printouts, prescriber settings and news."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime

import pytest

from kit.db import Database
from kit.demo import BY_KEY, BY_USERNAME, demo_id
from kit.testing import fetch, wait_for
from kit.testing.tokens import TokenIssuer
from logistics.case_numbers import next_case_number
from logistics.settings import Settings as LogisticsSettings
from logistics.testing import OWN_STORE, aid_centre, grant, pdf_text, running_logistics, until
from logistics.testing import prescriber as logistics_prescriber

KEY = TokenIssuer()
AVAILABILITY_MAX = 30


@pytest.fixture(scope="module")
async def logistics(test_env):
    settings = test_env.settings(LogisticsSettings, database="logistics_one", jwt_public_key=KEY.public_pem,
                                 search_availability_max_hits=AVAILABILITY_MAX,
                                 # 100 concurrent requests in one test process on a shared machine: they queue
                                 # for the connection budget longer than production's 5 s (what is tested is the
                                 # case numbers, not the budget)
                                 database_pool_timeout_s=60)
    async with running_logistics(test_env, settings) as service:
        service.env = test_env
        service.aid_centre = await aid_centre(service, test_env, KEY)
        yield service


async def prescriber(svc, **settings) -> dict:
    return await logistics_prescriber(svc, svc.env, KEY, **settings)


# first in the module: it checks the demo data as loaded, before other tests move stock
async def test_demo_balances_of_individual_marked_articles_are_their_individuals_in_stock(logistics):
    svc = logistics
    me = await prescriber(svc)
    checked = 0
    for store in (await svc.client.get("/warehouses", headers=me)).json():
        code = store["code"]
        marked = {b["article_id"]: b["quantity"] for b in (await svc.client.get(
            f"/warehouses/{code}/balances", headers=me, params={"with_balance": False})).json() if b["individual_marked"]}
        counted: dict[str, int] = {}
        for individual in (await svc.client.get(f"/warehouses/{code}/individuals", headers=me)).json():
            counted[individual["article_id"]] = counted.get(individual["article_id"], 0) + 1
        assert {a: q for a, q in marked.items() if q} == counted, f"store {code}"
        checked += len(counted)
    assert checked > 10


async def test_search_matches_every_term_in_any_field(logistics):
    svc = logistics
    me = await prescriber(svc)
    rollators = (await svc.client.get("/articles/search", headers=me, params={"q": "rollator", "limit": 200})).json()
    assert rollators["total"] > 5 and all("rollator" in h["name"].lower() for h in rollators["hits"])
    one = rollators["hits"][0]
    # two terms: both must match, in different fields, any case
    supplier_word = one["supplier"].split()[0].upper()
    both = (await svc.client.get("/articles/search", headers=me, params={"q": f"ROLLATOR {supplier_word}", "limit": 200})).json()
    assert 0 < both["total"] <= rollators["total"]
    assert all("rollator" in h["name"].lower() and supplier_word.lower() in h["supplier"].lower() for h in both["hits"])
    for field in ("number", "supplier_article_number"):
        found = (await svc.client.get("/articles/search", headers=me, params={"q": one[field]})).json()
        assert one["id"] in [h["id"] for h in found["hits"]]
    nothing = (await svc.client.get("/articles/search", headers=me, params={"q": "rollator taklyft"})).json()
    assert nothing["total"] == 0
    short = await svc.client.get("/articles/search", headers=me, params={"q": "rollator ab"})
    assert short.status_code == 422 and "at least 3 characters: ab" in short.json()["detail"]
    consumables = (await svc.client.get("/articles/search", headers=me, params={"q": "käpp", "type": "consumable"})).json()
    assert consumables["total"] > 0 and {h["article_type"] for h in consumables["hits"]} == {"consumable"}


async def test_availability_only_below_the_maximum_and_sorting_and_paging(logistics):
    svc = logistics
    me = await prescriber(svc)
    narrow = (await svc.client.get("/articles/search", headers=me, params={"q": "elrullstol utomhus", "warehouse": "100"})).json()
    assert 0 < narrow["total"] < AVAILABILITY_MAX and narrow["availability_note"] is None
    assert all(isinstance(h["available"], int) for h in narrow["hits"])
    balances = {b["article_id"]: b["available"] for b in (await svc.client.get(
        "/warehouses/100/balances", headers=me, params={"with_balance": False})).json()}
    assert all(h["available"] == balances.get(h["id"], 0) for h in narrow["hits"])
    wide = (await svc.client.get("/articles/search", headers=me, params={"q": "rullstol", "warehouse": "100"})).json()
    assert wide["total"] >= AVAILABILITY_MAX and "availability is shown below" in wide["availability_note"]
    assert all(h["available"] is None for h in wide["hits"])

    by_price = (await svc.client.get("/articles/search", headers=me, params={
        "q": "rullstol", "sort": "new_price_minor", "descending": True, "limit": 10})).json()["hits"]
    prices = [h["new_price_minor"] for h in by_price]
    assert prices == sorted(prices, reverse=True)
    page_two = (await svc.client.get("/articles/search", headers=me, params={
        "q": "rullstol", "sort": "new_price_minor", "descending": True, "limit": 10, "offset": 10})).json()["hits"]
    assert not {h["id"] for h in by_price} & {h["id"] for h in page_two}
    assert (await svc.client.get("/articles/search", headers=me, params={"q": "rullstol", "sort": "colour"})).status_code == 422


async def test_expired_articles_only_for_prescribers_who_enable_them(logistics):
    svc = logistics
    expired = await fetch(svc.settings, "SELECT number FROM articles WHERE expires_on IS NOT NULL ORDER BY number LIMIT 1")
    number = expired[0]["number"]
    ordinary = await prescriber(svc)
    assert (await svc.client.get("/articles/search", headers=ordinary, params={"q": number})).json()["total"] == 0
    allowed = await prescriber(svc, expired_articles_enabled=True)
    assert [h["number"] for h in (await svc.client.get("/articles/search", headers=allowed, params={"q": number})).json()["hits"]] == [number]


async def test_the_iso_tree_and_an_article_with_its_template_and_replacements(logistics):
    svc = logistics
    me = await prescriber(svc)
    top = (await svc.client.get("/iso-tree", headers=me)).json()
    assert [c["code"] for c in top["children"]] == ["04", "09", "12", "18", "22"]
    assert sum(c["articles"] for c in top["children"]) == 400
    moving = (await svc.client.get("/iso-tree", headers=me, params={"code": "12"})).json()
    assert "1206" in [c["code"] for c in moving["children"]] and all(len(c["code"]) == 4 for c in moving["children"])
    rollators = (await svc.client.get("/iso-tree", headers=me, params={"code": "120606"})).json()
    assert rollators["children"] == [] and rollators["articles"] and all(a["iso_code"] == "120606" for a in rollators["articles"])
    assert (await svc.client.get("/iso-tree", headers=me, params={"code": "129999"})).status_code == 404

    chair = (await svc.client.get("/iso-tree", headers=me, params={"code": "122203"})).json()["articles"][0]
    detail = (await svc.client.get(f"/articles/{chair['id']}", headers=me)).json()
    assert sorted((c["article"]["name"].split()[0], c["standard"]) for c in detail["components"]) == [
        ("Armstöd", True), ("Benstöd", True), ("Tippskydd", False)]
    ranked = await fetch(svc.settings, "SELECT article_id FROM replacement_members ORDER BY rank")
    first = (await svc.client.get(f"/articles/{ranked[0]['article_id']}", headers=me, params={"warehouse": "100"})).json()
    assert [r["rank"] for r in first["replacements"]] == [1, 2, 3, 4]
    assert all(isinstance(r["available"], int) for r in first["replacements"])


async def test_case_numbers_are_unique_under_100_concurrent_orders_and_right_at_the_year_boundary(logistics):
    svc = logistics
    me = await prescriber(svc)
    article = (await svc.client.get("/articles/search", headers=me, params={"q": "rollator", "limit": 1})).json()["hits"][0]
    orders = await asyncio.gather(*(svc.client.post(f"/warehouses/{OWN_STORE}/replenishments", headers=me,
                                                    json={"lines": [{"article_id": article["id"], "quantity": 2}]}) for _ in range(100)))
    assert {o.status_code for o in orders} == {201}
    numbers = [o.json()["case_number"] for o in orders]
    iso = datetime.now(UTC).astimezone().isocalendar()
    assert len(set(numbers)) == 100 and all(re.fullmatch(r"\d{8}", n) for n in numbers)
    week_prefix = {n[:4] for n in numbers}
    assert len(week_prefix) == 1 and week_prefix.pop() in {f"{iso.year % 100:02d}{iso.week:02d}", f"{iso.year % 100:02d}{iso.week + 1:02d}"}

    db = Database(svc.settings.database_url, pool_size=2)
    try:
        async with db.transaction() as session:
            new_years_eve = await next_case_number(session, datetime(2026, 12, 31, 12, 0, tzinfo=UTC))
            new_year = await next_case_number(session, datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
            first_week = await next_case_number(session, datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
            late_sunday = await next_case_number(session, datetime(2027, 1, 3, 23, 30, tzinfo=UTC))  # Monday 00:30 in Sweden
    finally:
        await db.dispose()
    assert (new_years_eve, new_year, first_week, late_sunday) == ("26530001", "26530002", "27010001", "27010002")

    # the aid centre delivers one order: the store's balance goes up
    before = {b["article_id"]: b["quantity"] for b in (await svc.client.get(
        f"/warehouses/{OWN_STORE}/balances", headers=me, params={"with_balance": False})).json()}.get(article["id"], 0)
    received = await svc.client.post(f"/replenishments/{orders[0].json()['id']}/receive", headers=svc.aid_centre)
    assert received.json()["status"] == "delivered"
    after = {b["article_id"]: b["quantity"] for b in (await svc.client.get(
        f"/warehouses/{OWN_STORE}/balances", headers=me, params={"with_balance": False})).json()}[article["id"]]
    assert after == before + 2
    assert (await svc.client.post(f"/replenishments/{orders[0].json()['id']}/receive", headers=svc.aid_centre)).status_code == 409
    assert (await svc.client.post(f"/replenishments/{orders[1].json()['id']}/receive", headers=me)).status_code == 403
    not_mine = await svc.client.post("/warehouses/K1202/replenishments", headers=me, json={"lines": [{"article_id": article["id"], "quantity": 1}]})
    assert not_mine.status_code == 403


async def test_balances_filters_and_the_stock_report(logistics):
    svc = logistics
    me = await prescriber(svc)
    with_balance = (await svc.client.get("/warehouses/200/balances", headers=me)).json()
    everything = (await svc.client.get("/warehouses/200/balances", headers=me, params={"with_balance": False})).json()
    # "with balance" is the articles that have stock; "all" adds those at zero and below (KHS manual)
    assert with_balance and all(b["quantity"] > 0 for b in with_balance)
    assert any(b["quantity"] == 0 for b in everything) and any(b["quantity"] < 0 for b in everything)
    assert len(everything) > len(with_balance)
    main_only = (await svc.client.get("/warehouses/200/balances", headers=me, params={"type": "main"})).json()
    assert main_only and {b["article_type"] for b in main_only} == {"main"}
    report = await svc.client.get("/warehouses/200/balance-report.pdf", headers=me)
    assert report.headers["content-type"] == "application/pdf"
    text = pdf_text(report.content)
    assert "Lagersaldo 200 Hjälpmedelscentralen norra lager" in text
    assert with_balance[0]["article_number"] in text and with_balance[-1]["article_number"] in text
    assert (await svc.client.get("/warehouses/999/balances", headers=me)).status_code == 404


async def test_individuals_b_only_search_renumber_and_delivery(logistics):
    svc = logistics
    me = await prescriber(svc)
    a_aid = (await fetch(svc.settings, "SELECT id FROM articles WHERE aid_class = 'A' AND individual_tracked LIMIT 1"))[0]["id"]
    b_aid = (await fetch(svc.settings, "SELECT id FROM articles WHERE aid_class = 'B' AND individual_tracked LIMIT 1"))[0]["id"]
    body = {"warehouse_code": OWN_STORE, "number": "B-77001", "serial_number": "SNX-123456", "purchase_date": "2024-03-01"}
    refused = await svc.client.post("/individuals", headers=me, json=body | {"article_id": str(a_aid)})
    assert refused.status_code == 422 and "A-aids are registered by the aid centre" in refused.json()["detail"]
    in_aid_centre = await svc.client.post("/individuals", headers=me, json=body | {"article_id": str(b_aid), "warehouse_code": "100"})
    assert in_aid_centre.status_code == 422
    async def in_own_store(article_id) -> int:
        rows = (await svc.client.get(f"/warehouses/{OWN_STORE}/balances", headers=me, params={"with_balance": False})).json()
        return next((b["quantity"] for b in rows if b["article_id"] == str(article_id)), 0)

    before = await in_own_store(b_aid)
    made = await svc.client.post("/individuals", headers=me, json=body | {"article_id": str(b_aid)})
    assert made.status_code == 201 and made.json()["estimated_age"].startswith("2 år")
    assert await in_own_store(b_aid) == before + 1  # the new individual is in the store's balance
    again = await svc.client.post("/individuals", headers=me, json=body | {"article_id": str(b_aid)})
    assert again.status_code == 409 and again.json()["type"] == "/problems/individual-number-taken"

    assert (await svc.client.get("/individuals/search", headers=me, params={"q": "77"})).status_code == 422
    exact = (await svc.client.get("/individuals/search", headers=me, params={"q": "B-77001"})).json()
    assert exact["exact"]["id"] == made.json()["id"]
    by_serial = (await svc.client.get("/individuals/search", headers=me, params={"q": "x-1234"})).json()
    assert by_serial["exact"] is None and [h["number"] for h in by_serial["hits"]] == ["B-77001"]

    individual = made.json()["id"]
    unconfirmed = await svc.client.post(f"/individuals/{individual}/number", headers=me, json={"number": "B-77002"})
    assert unconfirmed.status_code == 428 and "confirm" in unconfirmed.json()["detail"]
    renumbered = await svc.client.post(f"/individuals/{individual}/number", headers=me, json={"number": "B-77002", "confirm": True})
    assert renumbered.json()["number"] == "B-77002"

    patient = (await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": "19400101-0026", "reason": "ny förskrivning"})).json()
    delivered = await svc.client.post(f"/individuals/{individual}/delivery", headers=me, json={"recipient_id": patient["id"]})
    assert delivered.json()["status"] == "delivered" and delivered.json()["recipient_id"] == patient["id"]
    assert (await svc.client.post(f"/individuals/{individual}/delivery", headers=me, json={"recipient_id": patient["id"]})).status_code == 409
    history = (await svc.client.get(f"/individuals/{individual}", headers=me)).json()["history"]
    assert [e["kind"] for e in history] == ["delivered", "number changed", "registered"]
    assert history[1]["detail"] == "B-77001 → B-77002"
    assert await in_own_store(b_aid) == before  # and delivering it takes it out again


async def test_the_aid_centre_registers_a_aids_in_its_warehouse(logistics):
    svc = logistics
    a_aid = (await fetch(svc.settings, "SELECT id FROM articles WHERE aid_class = 'A' AND individual_tracked LIMIT 1"))[0]["id"]
    body = {"article_id": str(a_aid), "number": "A-88001", "serial_number": "SNA-88001"}
    made = await svc.client.post("/individuals", headers=svc.aid_centre, json=body | {"warehouse_code": "100"})
    assert made.status_code == 201 and made.json()["status"] == "in_stock"
    not_theirs = await svc.client.post("/individuals", headers=svc.aid_centre,
                                       json=body | {"number": "A-88002", "warehouse_code": OWN_STORE})
    assert not_theirs.status_code == 422 and "buffer stores register their own" in not_theirs.json()["detail"]


async def test_recipients_their_views_and_printouts(logistics):
    svc = logistics
    me = await prescriber(svc)
    bad = await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": "19400101-0025", "reason": "ny förskrivning"})
    assert bad.status_code == 422 and "check digit" in bad.json()["detail"]
    unknown = await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": "195001080000", "reason": "ny förskrivning"})
    assert unknown.status_code == 404 and unknown.json()["type"] == "/problems/not-in-population-register"
    assert "0000" not in unknown.json()["detail"]  # the number is masked in the problem too
    # a person with protected identity: the register gives no address, so none is stored or shown
    protected = await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": "194001019910", "reason": "ny förskrivning"})
    assert protected.status_code in (200, 201), protected.text
    assert protected.json()["name"] == "Skyddad identitet"
    assert (protected.json()["street"], protected.json()["postal_code"], protected.json()["city"]) == ("", "", "")
    added = await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": "194501019287", "reason": "ny förskrivning"})
    assert added.status_code == 201, added.text
    patient = added.json()
    assert patient["personal_number"] == "19450101-****" and patient["street"] and patient["city"]
    same = await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": "19450101-9287", "reason": "ny förskrivning"})
    assert same.status_code == 200 and same.json()["id"] == patient["id"]
    renamed = await svc.client.patch(f"/recipients/{patient['id']}", headers=me, json={"name": "Någon Annan"})
    assert renamed.status_code == 422
    edited = await svc.client.patch(f"/recipients/{patient['id']}", headers=me,
                                    json={"phone": "010-111 22 33", "door_code": "1234", "infection_flag": True})
    assert (edited.json()["phone"], edited.json()["door_code"], edited.json()["infection_flag"], edited.json()["name"]) == (
        "010-111 22 33", "1234", True, patient["name"])
    cleared = await svc.client.patch(f"/recipients/{patient['id']}", headers=me, json={"infection_flag": None})
    assert cleared.status_code == 422 and "infection_flag" in cleared.json()["detail"]
    unit = await svc.client.post("/recipients", headers=me, json={"kind": "care_unit", "care_unit_number": "12345", "name": "X"})
    assert unit.status_code == 422

    stocked = await fetch(svc.settings, "SELECT i.id, a.name FROM individuals i JOIN articles a ON a.id = i.article_id "
                                        "WHERE i.warehouse_code = $1 AND i.status = 'in_stock' ORDER BY i.number LIMIT 2", OWN_STORE)
    for row in stocked:
        assert (await svc.client.post(f"/individuals/{row['id']}/delivery", headers=me, json={"recipient_id": patient["id"]})).status_code == 200
    aids = (await svc.client.get(f"/recipients/{patient['id']}/aids", headers=me)).json()
    assert [a["name"] for a in aids] == [stocked[1]["name"], stocked[0]["name"]]  # newest first

    current = pdf_text((await svc.client.get(f"/recipients/{patient['id']}/aid-list.pdf", headers=me)).content)
    assert "Hjälpmedelslista" in current and patient["name"] in current and stocked[0]["name"] in current
    assert "Beställda" in current and "19450101-9287" not in current
    prescribed = pdf_text((await svc.client.get(f"/recipients/{patient['id']}/aid-list.pdf", headers=me,
                                                params={"variant": "prescribed"})).content)
    assert "Förskrivna hjälpmedel" in prescribed and "Beställda" not in prescribed
    receipt = await svc.client.post(f"/recipients/{patient['id']}/return-receipts", headers=me,
                                    json={"individual_ids": [str(stocked[0]["id"])]})
    assert receipt.status_code == 201 and receipt.headers["receipt-number"]
    text = pdf_text(receipt.content)
    assert "Returkvitto" in text and stocked[0]["name"] in text and "Mottaget av" in text
    foreign = await svc.client.post(f"/recipients/{patient['id']}/return-receipts", headers=me, json={"individual_ids": [str(uuid.uuid4())]})
    assert foreign.status_code == 422


async def test_prescriber_settings_choose_only_among_the_grants_my_page_and_news(logistics):
    svc = logistics
    account = uuid.uuid4()
    me = KEY.headers(account, "prescriber", name="Test Ny Förskrivare")
    first = await svc.client.get("/prescribers/me", headers=me)
    assert first.status_code == 404 and first.json()["type"] == "/problems/settings-needed"
    unit_1b, unit_2a = str(demo_id("unit.1b")), str(demo_id("unit.2a"))
    await grant(svc.env, account, ("unit.1a", "prescriber"), ("unit.1b", "prescriber"), ("store.1", "store_keeper"))
    await until(lambda: svc.client.put("/prescribers/me/settings", headers=me, json={
        "default_source": "aid_centre", "service_unit_id": unit_1b}), what="the grants")
    page = (await svc.client.get("/prescribers/me", headers=me)).json()
    assert {u["code"] for u in page["granted_service_units"]} == {"EX-HSV", "EX-REH"}
    assert [s["code"] for s in page["granted_stores"]] == ["K1201"]
    assert page["service_unit"]["code"] == "EX-REH" and (page["payer"]["code"], page["payer"]["name"]) == ("1201", "Exempelkommunen")
    other = await svc.client.put("/prescribers/me/settings", headers=me, json={"default_source": "aid_centre", "service_unit_id": unit_2a})
    assert other.status_code == 403 and unit_2a in other.json()["detail"]
    store = await svc.client.put("/prescribers/me/settings", headers=me, json={
        "default_source": "own_store", "service_unit_id": unit_1b, "own_stores": ["K1202"]})
    assert store.status_code == 403 and "K1202" in store.json()["detail"]
    assert (await svc.client.get("/prescribers/me", headers=me)).json()["service_unit"]["code"] == "EX-REH"  # nothing changed
    saved = await svc.client.put("/prescribers/me/settings", headers=me, json={
        "default_source": "own_store", "service_unit_id": unit_1b, "own_stores": ["K1201"]})
    assert saved.status_code == 200 and saved.json()["own_stores"] == ["K1201"]
    contact = await svc.client.put("/prescribers/me/contact", headers=me, json={"phone": "010-000 11 22", "email": "rehab@example.org"})
    assert contact.json()["email"] == "rehab@example.org" and contact.json()["default_source"] == "own_store"
    assert (await svc.client.get("/prescribers/me", headers=me)).json()["name"] == "Test Ny Förskrivare"

    assert (await svc.client.post("/news", headers=me, json={"title": "Hej", "body": "x"})).status_code == 403
    published = await svc.client.post("/news", headers=svc.aid_centre, json={"title": "Nytt sortiment", "body": "Nya rollatorer."})
    assert published.status_code == 201
    news = (await svc.client.get("/news", headers=me)).json()
    assert news[0]["title"] == "Nytt sortiment" and news[0]["read"] is False
    await svc.client.post(f"/news/{published.json()['id']}/read", headers=me)
    assert (await svc.client.get("/news", headers=me)).json()[0]["read"] is True


async def test_two_clerks_adding_the_same_article_or_care_unit_at_once(logistics):
    svc = logistics
    me = await prescriber(svc)
    code = (await fetch(svc.settings, "SELECT code FROM iso_classes WHERE length(code) = 6 LIMIT 1"))[0]["code"]
    number = f"RACE-{uuid.uuid4().hex[:6].upper()}"
    article = {"number": number, "name": "Testrollator", "supplier": "Testleverantören", "supplier_article_number": "T-1",
               "article_type": "main", "iso_code": code, "new_price_minor": 250000, "debit_form": "purchase",
               "aid_class": "A"}
    added = await asyncio.gather(*(svc.client.post("/articles", headers=svc.aid_centre, json=article) for _ in range(8)))
    assert sorted(r.status_code for r in added) == [201] + [409] * 7
    assert {r.json()["type"] for r in added if r.status_code == 409} == {"/problems/article-number-taken"}

    unit = {"kind": "care_unit", "care_unit_number": f"{uuid.uuid4().int % 9000 + 1000}", "name": "Testboendet",
            "street": "Provgatan 2", "postal_code": "12345", "city": "Provstad"}
    units = await asyncio.gather(*(svc.client.post("/recipients", headers=me, json=unit) for _ in range(8)))
    assert sorted(r.status_code for r in units) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in units}) == 1  # everyone got the one unit


async def test_the_demo_prescribers_work_from_the_demo_data(logistics):
    """kit.demo's prescribers find their settings made (matching their grants), and demo.prescriber a patient
    with delivered aids of every kind, an open activity and a deviation; demo.prescriber2 sees none of it."""
    svc = logistics
    for username, unit, store in (("demo.prescriber", "unit.1a", "store.1"), ("demo.prescriber2", "unit.2a", "store.2")):
        person = BY_USERNAME[username]
        await grant(svc.env, person.id, *person.memberships)
        headers = KEY.headers(person.id, "prescriber")
        async def granted(h=headers):
            page = (await svc.client.get("/prescribers/me", headers=h)).json()
            return page if len(page["granted_service_units"]) == 2 and page["granted_stores"] else None

        page = await wait_for(granted, what=f"{username}'s grants")
        assert page["service_unit"]["id"] == str(demo_id(unit)) and page["own_stores"] == [BY_KEY[store].code]
    one, two = KEY.headers(BY_USERNAME["demo.prescriber"].id, "prescriber"), KEY.headers(BY_USERNAME["demo.prescriber2"].id, "prescriber")
    orders = (await svc.client.get("/search/orders", headers=one, params={"period": "month"})).json()
    delivered = [o for o in orders if o["status"] == "delivered" and o["service_unit_code"] == "EX-HSV"]
    assert delivered
    recipient = delivered[0]["recipient_id"]
    aids = (await svc.client.get(f"/recipients/{recipient}/aids", headers=one)).json()
    consumables = (await svc.client.get(f"/recipients/{recipient}/consumables", headers=one)).json()
    activities = (await svc.client.get(f"/recipients/{recipient}/activities", headers=one)).json()
    deviations = (await svc.client.get(f"/recipients/{recipient}/deviations", headers=one)).json()
    assert aids and consumables and [a["status"] for a in activities] == ["open"] and len(deviations) == 1
    order = (await svc.client.get(f"/orders/by-case-number/{delivered[0]['case_number']}", headers=one)).json()
    kinds = {line["article_id"]: line for line in order["lines"]}
    types = {r["article_type"] for r in await fetch(svc.settings, "SELECT article_type FROM articles WHERE id = ANY($1::uuid[])",
                                                     [uuid.UUID(a) for a in kinds])}
    assert types == {"main", "accessory", "consumable"}
    assert (await svc.client.get(f"/recipients/{recipient}", headers=two)).status_code == 404
