"""Logistics I on the shared platform, each person signed in through the gateway as they do (#19): search
semantics over the demo assortment, the ISO tree, replacements, case numbers under concurrency, balances and
the stock report, individuals (B-only registration, search, renumbering, delivery), recipients with their views
and printouts, a new prescriber's settings among the grants aid-centre staff gave, news, and the demo
prescribers' settings. Data is made through the API by whoever makes it; new prescribers are made by the
admin and granted by aid-centre staff (flows.fresh_prescriber). The case number's week at the year boundary
is a pure rule (services/logistics/tests/test_logistics_rules.py)."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from flows import (
    LG,
    fresh_prescriber,
    pdf_text,
    prescriber_ready,
    register_recipient,
    unique,
    valid_personal_number,
)
from people import ok, wait_for

from kit import demo

OWN_STORE = demo.BY_KEY["store.1"].code  # demo.prescriber's buffer store (K1201)


@pytest.fixture(scope="module")
def me(platform):
    """demo.prescriber (SITHS card), whose first-login settings the demo made: aid centre, unit.1a, K1201."""
    prescriber = platform.sign_in("demo.prescriber")
    prescriber_ready(prescriber, "demo.prescriber")
    return prescriber


@pytest.fixture(scope="module")
def staff(platform):
    return platform.sign_in("demo.aidcentre")


def at_once(calls: list) -> list:
    """Every call at the same time, as many people would (threads; each call a function of nothing)."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def quantities(person, code: str) -> dict[str, int]:
    return {b["article_id"]: b["quantity"] for b in ok(person.get(f"{LG}/warehouses/{code}/balances",
                                                                 params={"with_balance": False}))}


# first in the module: the demo data's balances, which no other test of the session makes disagree
def test_demo_balances_of_individual_marked_articles_are_their_individuals_in_stock(me):
    checked = 0
    for store in ok(me.get(f"{LG}/warehouses")):
        code = store["code"]
        marked = {b["article_id"]: b["quantity"] for b in ok(me.get(
            f"{LG}/warehouses/{code}/balances", params={"with_balance": False})) if b["individual_marked"]}
        counted: dict[str, int] = {}
        for individual in ok(me.get(f"{LG}/warehouses/{code}/individuals")):
            if individual["status"] == "in_stock":
                counted[individual["article_id"]] = counted.get(individual["article_id"], 0) + 1
        assert {a: q for a, q in marked.items() if q} == counted, f"store {code}"
        checked += len(counted)
    assert checked > 10


def test_search_matches_every_term_in_any_field(me):
    rollators = ok(me.get(f"{LG}/articles/search", params={"q": "rollator", "limit": 200}))
    assert rollators["total"] > 5 and all("rollator" in h["name"].lower() for h in rollators["hits"])
    one = rollators["hits"][0]
    # two terms: both must match, in different fields, any case
    supplier_word = one["supplier"].split()[0].upper()
    both = ok(me.get(f"{LG}/articles/search", params={"q": f"ROLLATOR {supplier_word}", "limit": 200}))
    assert 0 < both["total"] <= rollators["total"]
    assert all("rollator" in h["name"].lower() and supplier_word.lower() in h["supplier"].lower() for h in both["hits"])
    for field in ("number", "supplier_article_number"):
        found = ok(me.get(f"{LG}/articles/search", params={"q": one[field]}))
        assert one["id"] in [h["id"] for h in found["hits"]]
    assert ok(me.get(f"{LG}/articles/search", params={"q": "rollator taklyft"}))["total"] == 0
    short = me.get(f"{LG}/articles/search", params={"q": "rollator ab"})
    assert short.status_code == 422 and "at least 3 characters: ab" in short.json()["detail"]
    consumables = ok(me.get(f"{LG}/articles/search", params={"q": "käpp", "type": "consumable"}))
    assert consumables["total"] > 0 and {h["article_type"] for h in consumables["hits"]} == {"consumable"}


def test_availability_only_below_the_maximum_and_sorting_and_paging(me):
    narrow = ok(me.get(f"{LG}/articles/search", params={"q": "elrullstol utomhus", "warehouse": "100"}))
    assert 0 < narrow["total"] and narrow["availability_note"] is None
    assert all(isinstance(h["available"], int) for h in narrow["hits"])
    balances = {b["article_id"]: b["available"] for b in ok(me.get(
        f"{LG}/warehouses/100/balances", params={"with_balance": False}))}
    assert all(h["available"] == balances.get(h["id"], 0) for h in narrow["hits"])
    # every demo article number starts with 100: more hits than the platform's maximum (200) for availability
    wide = ok(me.get(f"{LG}/articles/search", params={"q": "100", "warehouse": "100"}))
    assert wide["total"] > 200 and "availability is shown below" in wide["availability_note"]
    assert all(h["available"] is None for h in wide["hits"])

    by_price = ok(me.get(f"{LG}/articles/search", params={
        "q": "rullstol", "sort": "new_price_minor", "descending": True, "limit": 10}))["hits"]
    prices = [h["new_price_minor"] for h in by_price]
    assert prices == sorted(prices, reverse=True)
    page_two = ok(me.get(f"{LG}/articles/search", params={
        "q": "rullstol", "sort": "new_price_minor", "descending": True, "limit": 10, "offset": 10}))["hits"]
    assert not {h["id"] for h in by_price} & {h["id"] for h in page_two}
    assert me.get(f"{LG}/articles/search", params={"q": "rullstol", "sort": "colour"}).status_code == 422


def test_expired_articles_only_for_prescribers_who_enable_them(platform, me):
    allowed = fresh_prescriber(platform, expired_articles_enabled=True)
    everything = [h for offset in (0, 200) for h in ok(allowed.get(f"{LG}/articles/search", params={
        "q": "100", "limit": 200, "offset": offset}))["hits"]]
    expired = [h["number"] for h in everything if h["expires_on"]]
    assert expired, "the demo assortment has expired articles"
    number = expired[0]
    assert ok(me.get(f"{LG}/articles/search", params={"q": number}))["total"] == 0
    assert [h["number"] for h in ok(allowed.get(f"{LG}/articles/search", params={"q": number}))["hits"]] == [number]


def test_the_iso_tree_and_an_article_with_its_template_and_replacements(me):
    top = ok(me.get(f"{LG}/iso-tree"))
    assert [c["code"] for c in top["children"]] == ["04", "09", "12", "18", "22"]
    assert sum(c["articles"] for c in top["children"]) >= 400  # the demo's 400 and any added since
    moving = ok(me.get(f"{LG}/iso-tree", params={"code": "12"}))
    assert "1206" in [c["code"] for c in moving["children"]] and all(len(c["code"]) == 4 for c in moving["children"])
    rollators = ok(me.get(f"{LG}/iso-tree", params={"code": "120606"}))
    assert rollators["children"] == [] and rollators["articles"] and all(a["iso_code"] == "120606" for a in rollators["articles"])
    assert me.get(f"{LG}/iso-tree", params={"code": "129999"}).status_code == 404

    chair = ok(me.get(f"{LG}/iso-tree", params={"code": "122203"}))["articles"][0]
    detail = ok(me.get(f"{LG}/articles/{chair['id']}"))
    assert sorted((c["article"]["name"].split()[0], c["standard"]) for c in detail["components"]) == [
        ("Armstöd", True), ("Benstöd", True), ("Tippskydd", False)]
    # the demo's replacement group: the rollators, ranked by price
    grouped = next(d for a in rollators["articles"] if (d := ok(me.get(f"{LG}/articles/{a['id']}",
                                                                        params={"warehouse": "100"})))["replacements"])
    assert [r["rank"] for r in grouped["replacements"]] == [1, 2, 3, 4]
    assert all(isinstance(r["available"], int) for r in grouped["replacements"])


def test_case_numbers_are_unique_under_100_concurrent_orders(me, staff):
    article = ok(me.get(f"{LG}/articles/search", params={"q": "rollator", "limit": 1}))["hits"][0]
    orders = at_once([lambda: me.post(f"{LG}/warehouses/{OWN_STORE}/replenishments",
                                      json={"lines": [{"article_id": article["id"], "quantity": 2}]})] * 100)
    assert {o.status_code for o in orders} == {201}, {o.status_code: o.text for o in orders}
    numbers = [o.json()["case_number"] for o in orders]
    iso = datetime.now(UTC).astimezone().isocalendar()
    assert len(set(numbers)) == 100 and all(re.fullmatch(r"\d{8}", n) for n in numbers)
    week_prefix = {n[:4] for n in numbers}
    assert len(week_prefix) == 1 and week_prefix.pop() in {f"{iso.year % 100:02d}{iso.week:02d}", f"{iso.year % 100:02d}{iso.week + 1:02d}"}

    # the aid centre delivers one order: the store's balance goes up
    before = quantities(me, OWN_STORE).get(article["id"], 0)
    received = ok(staff.post(f"{LG}/replenishments/{orders[0].json()['id']}/receive"))
    assert received["status"] == "delivered"
    assert quantities(me, OWN_STORE)[article["id"]] == before + 2
    assert staff.post(f"{LG}/replenishments/{orders[0].json()['id']}/receive").status_code == 409
    assert me.post(f"{LG}/replenishments/{orders[1].json()['id']}/receive").status_code == 403
    not_mine = me.post(f"{LG}/warehouses/K1202/replenishments", json={"lines": [{"article_id": article["id"], "quantity": 1}]})
    assert not_mine.status_code == 403


def test_balances_filters_and_the_stock_report(me):
    with_balance = ok(me.get(f"{LG}/warehouses/200/balances"))
    everything = ok(me.get(f"{LG}/warehouses/200/balances", params={"with_balance": False}))
    # "with balance" is the articles that have stock; "all" adds those at zero and below (KHS manual)
    assert with_balance and all(b["quantity"] > 0 for b in with_balance)
    assert any(b["quantity"] == 0 for b in everything) and any(b["quantity"] < 0 for b in everything)
    assert len(everything) > len(with_balance)
    main_only = ok(me.get(f"{LG}/warehouses/200/balances", params={"type": "main"}))
    assert main_only and {b["article_type"] for b in main_only} == {"main"}
    report = me.get(f"{LG}/warehouses/200/balance-report.pdf")
    assert report.headers["content-type"] == "application/pdf"
    text = pdf_text(report.content)
    assert "Lagersaldo 200 Hjälpmedelscentralen norra lager" in text
    assert with_balance[0]["article_number"] in text and with_balance[-1]["article_number"] in text
    assert me.get(f"{LG}/warehouses/999/balances").status_code == 404


def tracked(person, aid_class: str) -> dict:
    """An individual-marked article of ``aid_class`` (A: the aid centre's, rented; B: purchased)."""
    for term in ("rullstol", "rollator", "säng", "lyft"):
        hits = ok(person.get(f"{LG}/articles/search", params={"q": term, "type": "main", "limit": 200}))["hits"]
        found = next((h for h in hits if h["aid_class"] == aid_class and h["individual_tracked"]), None)
        if found:
            return found
    raise AssertionError(f"no individual-marked {aid_class}-aid in the demo assortment")


def test_individuals_b_only_search_renumber_and_delivery(me):
    a_aid, b_aid = tracked(me, "A")["id"], tracked(me, "B")["id"]
    mark = uuid.uuid4().hex[:6].upper()
    number, serial = f"B-{mark}1", f"SNX-{mark}-123456"
    body = {"warehouse_code": OWN_STORE, "number": number, "serial_number": serial, "purchase_date": "2024-03-01"}
    refused = me.post(f"{LG}/individuals", json=body | {"article_id": a_aid})
    assert refused.status_code == 422 and "A-aids are registered by the aid centre" in refused.json()["detail"]
    in_aid_centre = me.post(f"{LG}/individuals", json=body | {"article_id": b_aid, "warehouse_code": "100"})
    assert in_aid_centre.status_code == 422

    before = quantities(me, OWN_STORE).get(b_aid, 0)
    made = ok(me.post(f"{LG}/individuals", json=body | {"article_id": b_aid}), 201)
    assert made["estimated_age"].startswith("2 år")
    assert quantities(me, OWN_STORE).get(b_aid, 0) == before + 1  # the new individual is in the store's balance
    again = me.post(f"{LG}/individuals", json=body | {"article_id": b_aid})
    assert again.status_code == 409 and again.json()["type"] == "/problems/individual-number-taken"

    assert me.get(f"{LG}/individuals/search", params={"q": "77"}).status_code == 422
    exact = ok(me.get(f"{LG}/individuals/search", params={"q": number}))
    assert exact["exact"]["id"] == made["id"]
    by_serial = ok(me.get(f"{LG}/individuals/search", params={"q": f"x-{mark}".lower()}))
    assert by_serial["exact"] is None and [h["number"] for h in by_serial["hits"]] == [number]

    individual = made["id"]
    renumber = f"B-{mark}2"
    unconfirmed = me.post(f"{LG}/individuals/{individual}/number", json={"number": renumber})
    assert unconfirmed.status_code == 428 and "confirm" in unconfirmed.json()["detail"]
    renumbered = ok(me.post(f"{LG}/individuals/{individual}/number", json={"number": renumber, "confirm": True}))
    assert renumbered["number"] == renumber

    patient = register_recipient(me)
    delivered = ok(me.post(f"{LG}/individuals/{individual}/delivery", json={"recipient_id": patient["id"]}))
    assert delivered["status"] == "delivered" and delivered["recipient_id"] == patient["id"]
    assert me.post(f"{LG}/individuals/{individual}/delivery", json={"recipient_id": patient["id"]}).status_code == 409
    history = ok(me.get(f"{LG}/individuals/{individual}"))["history"]
    assert [e["kind"] for e in history] == ["delivered", "number changed", "registered"]
    assert history[1]["detail"] == f"{number} → {renumber}"
    assert quantities(me, OWN_STORE).get(b_aid, 0) == before  # and delivering it takes it out again


def test_the_aid_centre_registers_a_aids_only_in_its_own_warehouse(staff):
    """(Registering one in warehouse 100 is the aid-centre staff's journey.) A buffer store's are its own."""
    a_aid = tracked(staff, "A")["id"]
    number = unique("A").replace(".", "-").upper()
    not_theirs = staff.post(f"{LG}/individuals", json={"article_id": a_aid, "number": number, "serial_number": f"SN-{number}",
                                                       "warehouse_code": OWN_STORE})
    assert not_theirs.status_code == 422 and "buffer stores register their own" in not_theirs.json()["detail"]


def test_recipients_their_views_and_printouts(me):
    bad = me.post(f"{LG}/recipients", json={"kind": "patient", "personal_number": "19400101-0025", "reason": "ny förskrivning"})
    assert bad.status_code == 422 and "check digit" in bad.json()["detail"]
    unknown = me.post(f"{LG}/recipients", json={"kind": "patient", "personal_number": "195001080000", "reason": "ny förskrivning"})
    assert unknown.status_code == 404 and unknown.json()["type"] == "/problems/not-in-population-register"
    assert "0000" not in unknown.json()["detail"]  # the number is masked in the problem too
    # a person with protected identity: the register gives no address, so none is stored or shown
    protected = ok(me.post(f"{LG}/recipients", json={"kind": "patient", "personal_number": "194001019910",
                                                     "reason": "ny förskrivning"}), 200, 201)
    assert protected["name"] == "Skyddad identitet"
    assert (protected["street"], protected["postal_code"], protected["city"]) == ("", "", "")
    number = valid_personal_number(1945)
    patient = ok(me.post(f"{LG}/recipients", json={"kind": "patient", "personal_number": number, "reason": "ny förskrivning"}), 201)
    assert patient["personal_number"] == f"{number[:8]}-****" and patient["street"] and patient["city"]
    same = me.post(f"{LG}/recipients", json={"kind": "patient", "personal_number": f"{number[:8]}-{number[8:]}", "reason": "ny förskrivning"})
    assert same.status_code == 200 and same.json()["id"] == patient["id"]
    assert me.patch(f"{LG}/recipients/{patient['id']}", json={"name": "Någon Annan"}).status_code == 422
    edited = ok(me.patch(f"{LG}/recipients/{patient['id']}", json={"phone": "010-111 22 33", "door_code": "1234",
                                                                   "infection_flag": True}))
    assert (edited["phone"], edited["door_code"], edited["infection_flag"], edited["name"]) == (
        "010-111 22 33", "1234", True, patient["name"])
    cleared = me.patch(f"{LG}/recipients/{patient['id']}", json={"infection_flag": None})
    assert cleared.status_code == 422 and "infection_flag" in cleared.json()["detail"]
    assert me.post(f"{LG}/recipients", json={"kind": "care_unit", "care_unit_number": "12345", "name": "X"}).status_code == 422

    # two individuals of the own store (the demo put some there) delivered to the patient
    stocked = sorted((i for i in ok(me.get(f"{LG}/warehouses/{OWN_STORE}/individuals"))
                      if i["status"] == "in_stock" and i["stock_status"] == "ready"), key=lambda i: i["number"])[:2]
    assert len(stocked) == 2, "the own store has individuals in stock"
    names = [ok(me.get(f"{LG}/articles/{i['article_id']}"))["name"] for i in stocked]
    for individual in stocked:
        ok(me.post(f"{LG}/individuals/{individual['id']}/delivery", json={"recipient_id": patient["id"]}))
    aids = ok(me.get(f"{LG}/recipients/{patient['id']}/aids"))
    assert [a["individual_id"] for a in aids] == [stocked[1]["id"], stocked[0]["id"]]  # newest first
    assert [a["name"] for a in aids] == [names[1], names[0]]

    current = pdf_text(me.get(f"{LG}/recipients/{patient['id']}/aid-list.pdf").content)
    assert "Hjälpmedelslista" in current and patient["name"] in current and names[0] in current
    assert "Beställda" in current and number not in current and f"{number[:8]}-{number[8:]}" not in current
    prescribed = pdf_text(me.get(f"{LG}/recipients/{patient['id']}/aid-list.pdf", params={"variant": "prescribed"}).content)
    assert "Förskrivna hjälpmedel" in prescribed and "Beställda" not in prescribed
    receipt = me.post(f"{LG}/recipients/{patient['id']}/return-receipts", json={"individual_ids": [stocked[0]["id"]]})
    assert receipt.status_code == 201 and receipt.headers["receipt-number"]
    text = pdf_text(receipt.content)
    assert "Returkvitto" in text and names[0] in text and "Mottaget av" in text
    foreign = me.post(f"{LG}/recipients/{patient['id']}/return-receipts", json={"individual_ids": [str(uuid.uuid4())]})
    assert foreign.status_code == 422


def test_prescriber_settings_choose_only_among_the_grants_my_page_and_news(platform, staff):
    me = fresh_prescriber(platform, units=("unit.1a", "unit.1b"), stores=("store.1",), name="Test Ny Förskrivare",
                          unmade=True)
    first = me.get(f"{LG}/prescribers/me")
    assert first.status_code == 404 and first.json()["type"] == "/problems/settings-needed"
    unit_1b, unit_2a = str(demo.BY_KEY["unit.1b"].id), str(demo.BY_KEY["unit.2a"].id)
    def made():  # logistics learns of the grants from the gateway's events: until then, a 403
        answer = me.put(f"{LG}/prescribers/me/settings", json={"default_source": "aid_centre", "service_unit_id": unit_1b})
        return ok(answer) if answer.status_code != 403 else None

    wait_for(made, what="the grants in logistics")
    page = ok(me.get(f"{LG}/prescribers/me"))
    assert {u["code"] for u in page["granted_service_units"]} == {"EX-HSV", "EX-REH"}
    assert [s["code"] for s in page["granted_stores"]] == ["K1201"]
    assert page["service_unit"]["code"] == "EX-REH" and (page["payer"]["code"], page["payer"]["name"]) == ("1201", "Exempelkommunen")
    other = me.put(f"{LG}/prescribers/me/settings", json={"default_source": "aid_centre", "service_unit_id": unit_2a})
    assert other.status_code == 403 and unit_2a in other.json()["detail"]
    store = me.put(f"{LG}/prescribers/me/settings", json={
        "default_source": "own_store", "service_unit_id": unit_1b, "own_stores": ["K1202"]})
    assert store.status_code == 403 and "K1202" in store.json()["detail"]
    assert ok(me.get(f"{LG}/prescribers/me"))["service_unit"]["code"] == "EX-REH"  # nothing changed
    saved = ok(me.put(f"{LG}/prescribers/me/settings", json={
        "default_source": "own_store", "service_unit_id": unit_1b, "own_stores": ["K1201"]}))
    assert saved["own_stores"] == ["K1201"]
    contact = ok(me.put(f"{LG}/prescribers/me/contact", json={"phone": "010-000 11 22", "email": "rehab@example.org"}))
    assert contact["email"] == "rehab@example.org" and contact["default_source"] == "own_store"
    assert ok(me.get(f"{LG}/prescribers/me"))["name"] == "Test Ny Förskrivare"

    assert me.post(f"{LG}/news", json={"title": "Hej", "body": "x"}).status_code == 403
    title = unique("Nytt sortiment")
    published = ok(staff.post(f"{LG}/news", json={"title": title, "body": "Nya rollatorer."}), 201)
    news = ok(me.get(f"{LG}/news"))
    assert news[0]["title"] == title and news[0]["read"] is False  # the newest first
    ok(me.post(f"{LG}/news/{published['id']}/read"), 204)
    assert next(n for n in ok(me.get(f"{LG}/news")) if n["id"] == published["id"])["read"] is True


def test_two_clerks_adding_the_same_article_or_care_unit_at_once(me, staff):
    number = f"RACE-{uuid.uuid4().hex[:6].upper()}"
    article = {"number": number, "name": "Testrollator", "supplier": "Testleverantören", "supplier_article_number": "T-1",
               "article_type": "main", "iso_code": "120606", "new_price_minor": 250000, "debit_form": "purchase",
               "aid_class": "A"}
    added = at_once([lambda: staff.post(f"{LG}/articles", json=article)] * 8)
    assert sorted(r.status_code for r in added) == [201] + [409] * 7
    assert {r.json()["type"] for r in added if r.status_code == 409} == {"/problems/article-number-taken"}

    unit = {"kind": "care_unit", "care_unit_number": f"{uuid.uuid4().int % 9000 + 1000}", "name": "Testboendet",
            "street": "Provgatan 2", "postal_code": "12345", "city": "Provstad"}
    units = at_once([lambda: me.post(f"{LG}/recipients", json=unit)] * 8)
    assert sorted(r.status_code for r in units) == [200] * 7 + [201]
    assert len({r.json()["id"] for r in units}) == 1  # everyone got the one unit


def test_the_demo_prescribers_find_their_settings_made_and_the_demo_order_has_every_kind(platform):
    """kit.demo's prescribers find their settings made, matching their grants (the demo patient's aids,
    activity and deviation are the prescriber's journey); the delivered demo order has a main aid, an
    accessory and a consumable."""
    for username, unit, store in (("demo.prescriber", "unit.1a", "store.1"), ("demo.prescriber2", "unit.2a", "store.2")):
        page = ok(platform.sign_in(username).get(f"{LG}/prescribers/me"))
        assert len(page["granted_service_units"]) == 2 and page["granted_stores"], page
        assert page["service_unit"]["id"] == str(demo.BY_KEY[unit].id) and page["own_stores"] == [demo.BY_KEY[store].code]
    one = platform.sign_in("demo.prescriber")
    orders = ok(one.get(f"{LG}/search/orders", params={"period": "month"}))
    delivered = [o for o in orders if o["status"] == "delivered" and o["service_unit_code"] == "EX-HSV"]
    assert delivered
    kinds = set()
    for found in delivered:
        order = ok(one.get(f"{LG}/orders/by-case-number/{found['case_number']}"))
        kinds = {ok(one.get(f"{LG}/articles/{line['article_id']}"))["article_type"] for line in order["lines"] if line["article_id"]}
        if kinds == {"main", "accessory", "consumable"}:
            break
    assert kinds == {"main", "accessory", "consumable"}
