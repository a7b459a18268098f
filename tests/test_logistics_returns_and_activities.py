"""Logistics II on the shared platform, each person signed in through the gateway as they do (#19):
pickups (the printouts, the supplier's without personal data, a consumable refused, "returned but not
deregistered" at once), returns of B-aids after a return receipt (optionally scrapped), activities that block
an order's delivery until closed, a special adaptation that needs its form, deviations, the recipient's views
and the case-number and period search. Aids reach a recipient as they do: an A-aid the aid centre registered
in its warehouse is ordered and delivered by the aid centre; a B-aid is registered in the prescriber's own
buffer store and delivered from it."""

from __future__ import annotations

import base64
import re
import uuid

import pytest
from flows import (
    LG,
    available_article,
    fresh_prescriber,
    order_and_submit,
    pdf_text,
    prescriber_ready,
    register_recipient,
)
from people import ok

from kit import demo

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
OWN_STORE = demo.BY_KEY["store.1"].code


@pytest.fixture(scope="module")
def me(platform):
    prescriber = platform.sign_in("demo.prescriber")
    prescriber_ready(prescriber, "demo.prescriber")
    return prescriber


@pytest.fixture(scope="module")
def staff(platform):
    return platform.sign_in("demo.aidcentre")


def tracked(person, aid_class: str) -> dict:
    """An individual-marked main aid of ``aid_class`` (A: rented, the aid centre's; B: purchased)."""
    for term in ("rullstol", "rollator"):
        hits = ok(person.get(f"{LG}/articles/search", params={"q": term, "type": "main", "limit": 200}))["hits"]
        found = next((h for h in hits if h["aid_class"] == aid_class and h["individual_tracked"]), None)
        if found:
            return found
    raise AssertionError(f"no individual-marked {aid_class}-aid")


def recipient_with_aids(me, staff, *, aid_class: str, count: int = 1) -> tuple[dict, list[dict]]:
    """A new patient with ``count`` individuals of ``aid_class`` delivered: ``{"id", "number", "article_id"}``."""
    patient = register_recipient(me)
    article = tracked(me, aid_class)["id"]
    delivered = []
    for _ in range(count):
        number = f"T-{uuid.uuid4().hex[:8]}"
        if aid_class == "A":  # registered by the aid centre, ordered from its warehouse and delivered by it
            ok(staff.post(f"{LG}/individuals", json={"article_id": article, "warehouse_code": "100", "number": number,
                                                     "serial_number": f"SN-{number}"}), 201)
            before = {a["individual_id"] for a in ok(me.get(f"{LG}/recipients/{patient['id']}/aids"))}
            submitted = order_and_submit(me, patient["id"], article)
            ok(staff.post(f"{LG}/orders/{submitted['id']}/delivery"))
            (aid,) = [a for a in ok(me.get(f"{LG}/recipients/{patient['id']}/aids")) if a["individual_id"] not in before]
            delivered.append({"id": aid["individual_id"], "number": aid["individual_number"], "article_id": article})
        else:  # a purchased aid: registered in the own buffer store and delivered from it
            made = ok(me.post(f"{LG}/individuals", json={"article_id": article, "warehouse_code": OWN_STORE, "number": number,
                                                         "serial_number": f"SN-{number}", "purchase_date": "2024-03-01"}), 201)
            ok(me.post(f"{LG}/individuals/{made['id']}/delivery", json={"recipient_id": patient["id"]}))
            delivered.append({"id": made["id"], "number": number, "article_id": article})
    return patient, delivered


def quantity(person, code: str, article_id: str) -> int:
    rows = ok(person.get(f"{LG}/warehouses/{code}/balances", params={"with_balance": False}))
    return next((b["quantity"] for b in rows if b["article_id"] == article_id), 0)


def test_pickups_their_printouts_and_the_aids_coming_back(me, staff):
    patient, (aid,) = recipient_with_aids(me, staff, aid_class="A")
    consumable = ok(me.get(f"{LG}/articles/search", params={"q": "käpp", "type": "consumable"}))["hits"][0]["id"]
    refused = me.post(f"{LG}/pickups", json={"recipient_id": patient["id"], "reason": "aid_centre",
                                             "articles": [{"article_id": consumable}]})
    assert refused.status_code == 422 and "consumables are not picked up" in refused.json()["detail"]

    pickup = ok(me.post(f"{LG}/pickups", json={"recipient_id": patient["id"], "reason": "aid_centre", "individual_ids": [aid["id"]],
                                               "instructions": "Portkod 1234"}), 201)
    assert pickup["status"] == "registered" and len(pickup["case_number"]) == 8 and pickup["pickup_address"]
    printed = pdf_text(me.get(f"{LG}/pickups/{pickup['id']}.pdf").content)
    assert pickup["case_number"] in printed and patient["name"] in printed and aid["number"] in printed and "Portkod 1234" in printed
    for_supplier = pdf_text(me.get(f"{LG}/pickups/{pickup['id']}.pdf", params={"document": "supplier"}).content)
    assert aid["number"] in for_supplier and patient["name"] not in for_supplier and patient["personal_number"][:8] not in for_supplier

    assert me.post(f"{LG}/pickups/{pickup['id']}/done").status_code == 403
    assert ok(staff.post(f"{LG}/pickups/{pickup['id']}/done"))["status"] == "done"
    back = ok(me.get(f"{LG}/individuals/{aid['id']}"))
    assert (back["status"], back["warehouse_code"], back["stock_status"], back["recipient_id"]) == ("in_stock", "100", "needs_cleaning", None)
    assert ok(me.get(f"{LG}/recipients/{patient['id']}/aids")) == []
    assert [r["individual_id"] for r in ok(me.get(f"{LG}/recipients/{patient['id']}/returned"))] == [aid["id"]]

    patient2, (aid2,) = recipient_with_aids(me, staff, aid_class="A")
    at_once = ok(me.post(f"{LG}/pickups", json={"recipient_id": patient2["id"], "reason": "returned_not_deregistered",
                                                "individual_ids": [aid2["id"]]}), 201)
    assert at_once["status"] == "done"
    assert ok(me.get(f"{LG}/recipients/{patient2['id']}/aids")) == []


def test_returns_of_purchased_aids_need_the_receipt_and_may_scrap(me, staff):
    patient, (kept, scrapped) = recipient_with_aids(me, staff, aid_class="B", count=2)
    before = quantity(me, OWN_STORE, kept["article_id"])

    no_receipt = me.post(f"{LG}/returns", json={"recipient_id": patient["id"], "receipt_number": "26010000",
                                                "individual_ids": [kept["id"]], "warehouse_code": OWN_STORE})
    assert no_receipt.status_code == 409 and no_receipt.json()["type"] == "/problems/return-receipt-needed"
    receipt = me.post(f"{LG}/recipients/{patient['id']}/return-receipts", json={"individual_ids": [kept["id"], scrapped["id"]]})
    receipt_number = receipt.headers["receipt-number"]
    assert re.fullmatch(r"\d{8}", receipt_number) and f"Nr {receipt_number}" in pdf_text(receipt.content)
    returned = ok(me.post(f"{LG}/returns", json={"recipient_id": patient["id"], "receipt_number": receipt_number,
                                                 "individual_ids": [kept["id"]], "warehouse_code": OWN_STORE}))
    assert returned == {"individual_ids": [kept["id"]], "status": "in_stock", "warehouse_code": OWN_STORE, "holdings": []}
    scrap = ok(me.post(f"{LG}/returns", json={"recipient_id": patient["id"], "receipt_number": receipt_number,
                                              "individual_ids": [scrapped["id"]], "warehouse_code": OWN_STORE, "scrap": True}))
    assert scrap["status"] == "scrapped"
    card = ok(me.get(f"{LG}/individuals/{scrapped['id']}"))
    assert (card["status"], card["stock_status"], card["warehouse_code"]) == ("scrapped", "scrapped", None)  # not "ready"
    assert quantity(me, OWN_STORE, kept["article_id"]) == before + 1  # the scrapped one does not come into stock
    assert card["history"][0]["kind"] == "scrapped"

    a_patient, (a_aid,) = recipient_with_aids(me, staff, aid_class="A")
    a_receipt = me.post(f"{LG}/recipients/{a_patient['id']}/return-receipts", json={"individual_ids": [a_aid["id"]]})
    rented = me.post(f"{LG}/returns", json={"recipient_id": a_patient["id"], "receipt_number": a_receipt.headers["receipt-number"],
                                            "individual_ids": [a_aid["id"]], "warehouse_code": OWN_STORE})
    assert rented.status_code == 422 and "only purchased (B) aids" in rented.json()["detail"]


def test_an_open_activity_blocks_the_delivery_of_its_order(platform, staff):
    me = fresh_prescriber(platform)  # a prescriber of their own, so that "my orders" are this test's
    patient = register_recipient(me)
    chair = available_article(me)  # a main aid without individual numbers in stock
    order = order_and_submit(me, patient["id"], chair["id"])
    held = quantity(me, "100", chair["id"])

    activity = ok(me.post(f"{LG}/activities", json={
        "activity_type": "adjustment", "order_id": order["id"], "recipient_id": patient["id"], "description": "Anpassa sitthöjd"}), 201)
    blocked = staff.post(f"{LG}/orders/{order['id']}/delivery")
    assert blocked.status_code == 409 and blocked.json()["type"] == "/problems/activity-open"
    assert quantity(me, "100", chair["id"]) == held  # stock unchanged
    other = register_recipient(me)
    someone_elses = me.post(f"{LG}/activities", json={
        "activity_type": "adjustment", "order_id": order["id"], "recipient_id": other["id"], "description": "Fel brukare"})
    assert someone_elses.status_code == 422 and "another recipient's" in someone_elses.json()["detail"]
    closed = ok(staff.post(f"{LG}/activities/{activity['id']}/close", json={"work_done": "Sitthöjd 48 cm"}))
    assert closed["status"] == "closed"
    assert ok(staff.post(f"{LG}/orders/{order['id']}/delivery"))["status"] == "delivered"
    assert quantity(me, "100", chair["id"]) == held - 1
    too_late = me.post(f"{LG}/activities", json={
        "activity_type": "adjustment", "order_id": order["id"], "recipient_id": patient["id"], "description": "Efteråt"})
    assert too_late.status_code == 409 and too_late.json()["type"] == "/problems/order-not-open"

    views = ok(me.get(f"{LG}/recipients/{patient['id']}/activities"))
    assert [(v["case_number"], v["status"]) for v in views] == [(activity["case_number"], "closed")]
    found = ok(me.get(f"{LG}/search/case/{activity['case_number']}"))
    assert found == {"kind": "activities", "id": activity["id"], "case_number": activity["case_number"]}
    mine = ok(me.get(f"{LG}/search/orders", params={"mine": True, "period": "week"}))
    assert [o["case_number"] for o in mine] == [order["case_number"]]
    assert me.get(f"{LG}/search/case/00000000").status_code == 404


def test_a_special_adaptation_needs_its_form_and_attachments_are_checked(me):
    body = {"activity_type": "special_adaptation", "description": "Specialanpassad sits", "priority": "high"}
    assert me.post(f"{LG}/activities", json=body).status_code == 422
    fake = {"filename": "blankett.pdf", "content_type": "application/pdf", "content_base64": base64.b64encode(b"not a pdf").decode()}
    wrong = me.post(f"{LG}/activities", json=body | {"attachments": [fake]})
    assert wrong.status_code == 422 and "not a PDF" in wrong.json()["detail"]
    form = {"filename": "blankett.pdf", "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    made = ok(me.post(f"{LG}/activities", json=body | {"attachments": [form]}), 201)
    assert [a["filename"] for a in made["attachments"]] == ["blankett.pdf"]
    attachments = f"{LG}/activities/{made['id']}/attachments"
    photo = ok(me.post(attachments, headers={"Content-Type": "image/png", "X-Filename": "sits.png"}, content=PNG), 201)
    assert photo["size_bytes"] == len(PNG)
    large = PNG + b"\0" * (4 * 1024 * 1024)  # over the 1 MiB default body limit: the upload route allows more
    big = ok(me.post(attachments, headers={"Content-Type": "image/png", "X-Filename": "stor.png"}, content=large), 201)
    assert big["size_bytes"] == len(large)
    too_big = me.post(attachments, headers={"Content-Type": "image/png", "X-Filename": "x.png"}, content=PNG + b"\0" * (9 * 1024 * 1024))
    assert too_big.status_code == 413 and too_big.json()["type"] == "/problems/payload-too-large"
    assert me.post(attachments, headers={"Content-Type": "text/plain", "X-Filename": "a.txt"}, content=b"hello").status_code == 422


def test_deviations_consumables_and_the_recipient_views(me, staff):
    patient, (aid,) = recipient_with_aids(me, staff, aid_class="B")
    deviation = ok(me.post(f"{LG}/deviations", json={
        "event_type": "complaint", "category": "Trasig broms", "description": "Bromsen släpper", "recipient_id": patient["id"],
        "individual_ids": [aid["id"]]}), 201)
    assert [d["case_number"] for d in ok(me.get(f"{LG}/recipients/{patient['id']}/deviations"))] == [deviation["case_number"]]
    assert me.post(f"{LG}/deviations", json={"event_type": "rumour", "category": "x", "description": "xyz"}).status_code == 422

    consumable = available_article(me, "käpp", kind="consumable", at_least=3)
    order_and_submit(me, patient["id"], consumable["id"], quantity=3)
    assert ok(me.get(f"{LG}/recipients/{patient['id']}/ordered")) == []  # consumables only in their view
    listed = ok(me.get(f"{LG}/recipients/{patient['id']}/consumables"))
    assert [(c["name"], c["quantity"], c["status"]) for c in listed] == [(consumable["name"], 3, "registered")]
