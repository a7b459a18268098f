"""Logistics orders on the shared platform, each person signed in through the gateway as they do (#19): the
lifecycle with components and stock movements, replacements offered in rank order, concurrent orders that
never take stock below zero, cancellation only while registered, and an order's granted unit, orderer and
prescriber. Stock is what the demo has and what aid-centre staff register or orders reserve, read from the
balances; new prescribers are made by the admin and granted by aid-centre staff (flows.fresh_prescriber).
(The partner events without personal data are the partner region's journey.)"""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from flows import LG, fresh_prescriber, pdf_text, prescriber_ready, register_recipient
from people import ok

from kit import demo

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(scope="module")
def me(platform):
    prescriber = platform.sign_in("demo.prescriber")
    prescriber_ready(prescriber, "demo.prescriber")
    return prescriber


@pytest.fixture(scope="module")
def staff(platform):
    return platform.sign_in("demo.aidcentre")


def balance(person, article_id: str, warehouse: str) -> tuple[int, int]:
    """(quantity, available) of an article in a warehouse, as the balances show them."""
    rows = ok(person.get(f"{LG}/warehouses/{warehouse}/balances", params={"with_balance": False}))
    return next(((b["quantity"], b["available"]) for b in rows if b["article_id"] == article_id), (0, 0))


def register_individual(staff, article_id: str, warehouse: str) -> dict:
    """LG-8: aid-centre staff register one individual in their warehouse (it adds one to the balance)."""
    number = f"RS-{uuid.uuid4().hex[:8].upper()}"
    return ok(staff.post(f"{LG}/individuals", json={"article_id": article_id, "warehouse_code": warehouse,
                                                    "number": number, "serial_number": f"SN-{number}"}), 201)


def order(person, recipient_id: str, article_id: str, warehouse: str, quantity: int) -> dict:
    cart = ok(person.post(f"{LG}/recipients/{recipient_id}/cart"))
    ok(person.post(f"{LG}/orders/{cart['id']}/lines", json={"article_id": article_id, "warehouse_code": warehouse,
                                                           "quantity": quantity}), 201)
    return ok(person.post(f"{LG}/orders/{cart['id']}/submit"))


def test_the_order_lifecycle_with_components_and_stock(platform, me, staff):
    recipient = register_recipient(me)
    chair_id = ok(me.get(f"{LG}/iso-tree", params={"code": "122203"}))["articles"][0]["id"]  # a manual wheelchair
    register_individual(staff, chair_id, "100")  # at least one in stock to deliver
    quantity, available = balance(me, chair_id, "100")
    assert available >= 1

    cart = ok(me.post(f"{LG}/recipients/{recipient['id']}/cart"))
    assert cart["status"] == "cart" and cart["infection_flag"] is False and cart["delivery_address"]
    assert ok(me.post(f"{LG}/recipients/{recipient['id']}/cart"))["id"] == cart["id"]  # one cart
    line = ok(me.post(f"{LG}/orders/{cart['id']}/lines", json={"article_id": chair_id, "warehouse_code": "100"}), 201)["lines"][0]
    assert sorted(c["standard"] for c in line["components"]) == [True, True]
    template = ok(me.get(f"{LG}/articles/{chair_id}"))["components"]
    optional = next(t["article"]["id"] for t in template if not t["standard"])
    standard = next(t["article"]["id"] for t in template if t["standard"])
    changed = ok(me.put(f"{LG}/orders/{cart['id']}/lines/{line['id']}/components",
                        json={"removed": [standard], "added": [{"article_id": optional}]}))
    assert sorted((c["article_id"], c["standard"]) for c in changed["lines"][0]["components"]) == sorted(
        [(t["article"]["id"], t["standard"]) for t in template if t["article"]["id"] != standard])
    stranger = me.put(f"{LG}/orders/{cart['id']}/lines/{line['id']}/components", json={"added": [{"article_id": str(uuid.uuid4())}]})
    assert stranger.status_code == 422
    found = ok(me.get(f"{LG}/orders/{cart['id']}/lines/{line['id']}/components/search", params={"q": "tippskydd"}))
    assert [(f["article_id"], f["standard"]) for f in found] == [(optional, False)]
    spec = me.post(f"{LG}/orders/{cart['id']}/lines/{line['id']}/attachments", content=PDF,
                   headers={"Content-Type": "application/pdf", "X-Filename": "matt.pdf"})
    assert spec.status_code == 201, spec.text
    note = me.post(f"{LG}/orders/{cart['id']}/attachments", content=b"GIF89a", headers={"Content-Type": "image/gif", "X-Filename": "x.gif"})
    assert note.status_code == 422 and "PDF, PNG or JPEG" in note.json()["detail"]
    manual = me.post(f"{LG}/orders/{cart['id']}/lines", json={"manual_text": "Specialkudde"})
    assert manual.status_code == 422 and "comment" in manual.json()["detail"]
    ok(me.post(f"{LG}/orders/{cart['id']}/lines", json={"manual_text": "Specialkudde", "comment": "Finns inte i sortimentet"}), 201)
    ok(me.patch(f"{LG}/orders/{cart['id']}", json={"infection_flag": True, "instructions": "Ring före"}))

    submitted = ok(me.post(f"{LG}/orders/{cart['id']}/submit"))
    assert submitted["kind"] == "manual" and [a["filename"] for a in submitted["lines"][0]["attachments"]] == ["matt.pdf"]
    assert submitted["status"] == "registered" and re.fullmatch(r"\d{8}", submitted["case_number"]) and submitted["planned_delivery"]
    assert submitted["infection_flag"] is True
    assert platform.person("anyone").get(f"{LG}/recipients/{recipient['id']}").status_code in (401, 403)
    assert ok(me.get(f"{LG}/recipients/{recipient['id']}"))["infection_flag"] is False  # the default stays
    assert balance(me, chair_id, "100") == (quantity, available - 1)  # reserved
    assert ok(me.get(f"{LG}/orders/by-case-number/{submitted['case_number']}"))["id"] == cart["id"]
    ordered = ok(me.get(f"{LG}/recipients/{recipient['id']}/ordered"))
    assert {o["case_number"] for o in ordered} == {submitted["case_number"]} and len(ordered) == 2
    text = pdf_text(me.get(f"{LG}/recipients/{recipient['id']}/aid-list.pdf").content)
    assert submitted["case_number"] in text and "Specialkudde" in text  # ordered, not yet delivered

    delivered = ok(staff.post(f"{LG}/orders/{cart['id']}/delivery"))
    assert delivered["status"] == "delivered"
    assert balance(me, chair_id, "100") == (quantity - 1, available - 1)  # out of stock, no longer reserved
    aids = ok(me.get(f"{LG}/recipients/{recipient['id']}/aids"))
    assert [a["article_number"] for a in aids][:1] == [submitted["lines"][0]["article_number"]]
    late = me.post(f"{LG}/orders/{cart['id']}/cancel")
    assert late.status_code == 409 and "only while it is registered" in late.json()["detail"]


def test_replacements_are_offered_in_rank_order_and_cancel_gives_stock_back(me, staff):
    """The demo's replacement group (the rollators, ranked by price) in warehouse 200: the first two have
    nothing available (what they have is reserved by an order first), the third and fourth have."""
    rollators = ok(me.get(f"{LG}/iso-tree", params={"code": "120606"}))["articles"]
    group = next(d["replacements"] for a in rollators if (d := ok(me.get(f"{LG}/articles/{a['id']}")))["replacements"])
    first, second, third, fourth = (r["article"]["id"] for r in sorted(group, key=lambda r: r["rank"]))
    holders = []
    for article in (first, second):
        if (free := balance(me, article, "200")[1]) > 0:
            holders.append(order(me, register_recipient(me)["id"], article, "200", free))
    for article, wanted in ((third, 2), (fourth, 1)):
        while balance(me, article, "200")[1] < wanted:
            register_individual(staff, article, "200")
    recipient = register_recipient(me)
    cart = ok(me.post(f"{LG}/recipients/{recipient['id']}/cart"))
    refused = me.post(f"{LG}/orders/{cart['id']}/lines", json={"article_id": first, "warehouse_code": "200"})
    assert refused.status_code == 409 and refused.json()["available"] == 0
    assert [r["article_id"] for r in refused.json()["replacements"]] == [third, fourth]
    assert [r["rank"] for r in refused.json()["replacements"]] == [3, 4]
    before = balance(me, third, "200")
    ok(me.post(f"{LG}/orders/{cart['id']}/lines", json={"article_id": third, "warehouse_code": "200", "quantity": 2}), 201)
    submitted = ok(me.post(f"{LG}/orders/{cart['id']}/submit"))
    assert balance(me, third, "200") == (before[0], before[1] - 2)
    assert ok(me.post(f"{LG}/orders/{submitted['id']}/cancel"))["status"] == "cancelled"
    assert balance(me, third, "200") == before
    for held in holders:  # what the first two had is theirs again
        ok(me.post(f"{LG}/orders/{held['id']}/cancel"))


def test_concurrent_orders_never_take_stock_below_zero(me):
    """Twenty prescriptions of a consumable of which five are available, submitted at once: five are
    registered, fifteen refused, and the search then shows none available."""
    consumables = [b for b in ok(me.get(f"{LG}/warehouses/100/balances", params={"type": "consumable"}))
                   if b["available"] >= 5 and "käpp" not in b["name"].lower()]  # the journeys order the käpp ones
    article = consumables[-1]
    if article["available"] > 5:  # the rest is reserved by one order first
        order(me, register_recipient(me)["id"], article["article_id"], "100", article["available"] - 5)
    quantity = balance(me, article["article_id"], "100")[0]
    carts = []
    for _ in range(20):
        recipient = register_recipient(me)
        cart = ok(me.post(f"{LG}/recipients/{recipient['id']}/cart"))
        ok(me.post(f"{LG}/orders/{cart['id']}/lines", json={"article_id": article["article_id"], "warehouse_code": "100"}), 201)
        carts.append(cart["id"])
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda cart: me.post(f"{LG}/orders/{cart}/submit"), carts))
    assert sorted(r.status_code for r in results) == [200] * 5 + [409] * 15
    assert {r.json()["type"] for r in results if r.status_code == 409} == {"/problems/not-available"}
    assert balance(me, article["article_id"], "100") == (quantity, 0)
    # the search shows what an order can still reserve: all five are held by the submitted orders
    hits = ok(me.get(f"{LG}/articles/search", params={"q": article["article_number"], "warehouse": "100"}))["hits"]
    assert [h["available"] for h in hits if h["id"] == article["article_id"]] == [0]
    late = ok(me.post(f"{LG}/recipients/{recipient['id']}/cart"))
    refused = me.post(f"{LG}/orders/{late['id']}/lines", json={"article_id": article["article_id"], "warehouse_code": "100"})
    assert refused.status_code == 409 and refused.json()["available"] == 0


def test_an_order_is_for_the_chosen_granted_unit_with_its_orderer_and_prescriber(platform):
    """The KHS manual's "beställare" and "förskrivare": the order records both; its service unit is the
    default setting unless another granted one is chosen, and the payer is that unit's municipality."""
    me = fresh_prescriber(platform, units=("unit.1b", "unit.1a"), stores=())
    colleague = fresh_prescriber(platform, units=("unit.1a",), stores=())
    orderer_id, colleague_id = me.id, colleague.id
    recipient = register_recipient(me)
    default = ok(me.post(f"{LG}/recipients/{recipient['id']}/cart"))
    assert (default["service_unit_code"], default["service_unit"], default["payer_code"], default["payer"]) == (
        "EX-REH", "Exempelkommunen rehabenhet", "1201", "Exempelkommunen")
    assert default["payer_id"] == str(demo.BY_KEY["municipality.1"].id) and default["our_reference"] == "Exempelkommunen rehabenhet"
    assert default["orderer_id"] == default["prescriber_id"] == orderer_id
    # per order: another granted unit, another prescriber of that unit
    unit_2a = str(demo.BY_KEY["unit.2a"].id)
    other_unit = me.patch(f"{LG}/orders/{default['id']}", json={"service_unit_id": unit_2a})
    assert other_unit.status_code == 403 and unit_2a in other_unit.json()["detail"]
    changed = ok(me.patch(f"{LG}/orders/{default['id']}", json={
        "service_unit_id": str(demo.BY_KEY["unit.1a"].id), "prescriber_id": colleague_id}))
    assert (changed["service_unit_code"], changed["prescriber_id"], changed["orderer_id"]) == ("EX-HSV", colleague_id, orderer_id)
    stranger = me.patch(f"{LG}/orders/{default['id']}", json={"prescriber_id": str(uuid.uuid4())})
    assert stranger.status_code == 403 and "EX-HSV" in stranger.json()["detail"]
    # the colleague is the prescriber, not the orderer: the cart stays the orderer's
    assert colleague.patch(f"{LG}/orders/{default['id']}", json={"comment": "x"}).status_code == 403
    # a new cart (another recipient: a care unit) for a unit chosen at once
    other = ok(me.post(f"{LG}/recipients", json={"kind": "care_unit", "care_unit_number": f"{uuid.uuid4().int % 9000 + 1000}",
                                                 "name": "Exempelgårdens korttidsboende 2"}), 200, 201)
    chosen = ok(me.post(f"{LG}/recipients/{other['id']}/cart", json={"service_unit_id": str(demo.BY_KEY["unit.1a"].id)}))
    assert chosen["service_unit_code"] == "EX-HSV"
    listed = ok(me.get(f"{LG}/search/orders", params={"service_unit": "EX-HSV"}))
    assert all(o["service_unit_code"] == "EX-HSV" for o in listed)
