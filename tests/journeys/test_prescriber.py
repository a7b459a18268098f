"""The prescriber (förskrivare, demo.prescriber of Exempelkommunen): signs in with the SITHS card (GW-2),
makes the first-login settings among the granted ones (LG-1), finds a recipient in the population register
with a reason (LG-9), orders an aid from the aid centre (LG-4, LG-11, LG-2), sees it ordered, and after the
aid centre delivers it, among the recipient's aids and on the aid list printout (LG-10); then orders its
pickup (LG-12) and reports an activity and a deviation (LG-14, LG-15), found again by case number (LG-16)."""

from __future__ import annotations

import io

import pytest
from flows import LG, available_article, order_and_submit, prescriber_ready, register_recipient
from people import ok, wait_for

from kit import demo


@pytest.fixture(scope="module")
def prescriber(platform):
    me = platform.sign_in("demo.prescriber")
    prescriber_ready(me, "demo.prescriber")
    return me


def test_signs_in_with_the_siths_card_and_sees_my_page(prescriber):
    me = prescriber.me
    assert me["roles"] == ["prescriber"] and me["display_name"] == demo.BY_USERNAME["demo.prescriber"].display_name
    page = ok(prescriber.get(f"{LG}/prescribers/me"))
    assert page.get("granted_service_units") or page.get("service_units"), page  # #18: granted, not chosen
    assert ok(prescriber.get(f"{LG}/news")), "the aid centre's news (LG-17)"


def test_the_demo_patient_with_aids_an_open_activity_and_a_deviation(platform, prescriber):
    orders = ok(prescriber.get(f"{LG}/search/orders", params={"period": "month"}))
    orders = orders["items"] if isinstance(orders, dict) else orders
    delivered = [o for o in orders if o["status"] == "delivered"]

    def open_activity(recipient_id: str) -> bool:  # the demo's patient (journeys' own patients have none open)
        return "open" in [a["status"] for a in ok(prescriber.get(f"{LG}/recipients/{recipient_id}/activities"))]

    recipient = next((o["recipient_id"] for o in delivered if open_activity(o["recipient_id"])), None)
    assert recipient, "the demo's patient: a delivered order and an open activity"
    aids = ok(prescriber.get(f"{LG}/recipients/{recipient}/aids"))
    assert {a["kind"] for a in aids} == {"individual", "holding"}, aids  # a serial-tracked aid and a held accessory (LG-21)
    assert [c["holding_id"] for c in ok(prescriber.get(f"{LG}/recipients/{recipient}/consumables"))][0]
    assert [a["status"] for a in ok(prescriber.get(f"{LG}/recipients/{recipient}/activities"))] == ["open"]
    assert len(ok(prescriber.get(f"{LG}/recipients/{recipient}/deviations"))) == 1
    other = platform.sign_in("demo.prescriber2")  # Provkommunen: none of Exempelkommunen's people
    assert other.get(f"{LG}/recipients/{recipient}").status_code in (403, 404)


def test_orders_an_aid_that_the_aid_centre_delivers(platform, prescriber):
    recipient = register_recipient(prescriber)
    article = available_article(prescriber)
    submitted = order_and_submit(prescriber, recipient["id"], article["id"])
    ordered = ok(prescriber.get(f"{LG}/recipients/{recipient['id']}/ordered"))
    assert submitted["case_number"] in {o["case_number"] for o in ordered}
    assert ok(prescriber.get(f"{LG}/orders/by-case-number/{submitted['case_number']}"))["id"] == submitted["id"]

    staff = platform.sign_in("demo.aidcentre")
    delivered = ok(staff.post(f"{LG}/orders/{submitted['id']}/delivery"))
    assert delivered["status"] == "delivered"
    assert submitted["case_number"] not in {o["case_number"] for o in
                                            ok(prescriber.get(f"{LG}/recipients/{recipient['id']}/ordered"))}


def test_the_delivered_aid_is_in_the_recipients_views_and_is_picked_up(platform, prescriber):
    recipient = register_recipient(prescriber)
    article = available_article(prescriber)
    submitted = order_and_submit(prescriber, recipient["id"], article["id"])
    ok(platform.sign_in("demo.aidcentre").post(f"{LG}/orders/{submitted['id']}/delivery"))

    # LG-10/LG-21: the delivered aid is in the recipient's views (a non-serial aid too), newest first
    def in_views():
        found = prescriber.get(f"{LG}/recipients/{recipient['id']}/aids").json()
        return [a for a in found if a["article_number"] == article["number"]]

    wait_for(in_views, what="the delivered aid among the recipient's aids")
    printout = ok(prescriber.get(f"{LG}/recipients/{recipient['id']}/aid-list.pdf"))
    assert printout[:4] == b"%PDF"

    pickup = ok(prescriber.post(f"{LG}/pickups", json={
        "recipient_id": recipient["id"], "reason": "aid_centre", "articles": [{"article_id": article["id"], "quantity": 1}],
        "contact": "Test Anhörig 010-000 00 00", "instructions": "Ring på porttelefonen"}), 200, 201)
    assert pickup["status"] and pickup["case_number"] != submitted["case_number"]
    assert ok(prescriber.get(f"{LG}/pickups/{pickup['id']}.pdf"))[:4] == b"%PDF"
    assert ok(prescriber.get(f"{LG}/search/case/{pickup['case_number']}"))


def test_picks_up_part_of_a_holding_and_a_consumable_is_refused(platform, prescriber):
    """LG-21: three canes delivered are one holding of three; a pickup of two (LG-12) leaves one once the aid
    centre fetched them, more than is left is refused, "returned but not deregistered" takes the last one at
    once; a delivered consumable is in its own view and is not picked up (LG-18)."""
    recipient = register_recipient(prescriber)
    views = f"{LG}/recipients/{recipient['id']}"
    cane = available_article(prescriber, at_least=3)
    canes = order_and_submit(prescriber, recipient["id"], cane["id"], quantity=3)
    drops = order_and_submit(prescriber, recipient["id"], available_article(prescriber, "käpp", kind="consumable")["id"])
    staff = platform.sign_in("demo.aidcentre")
    for order in (canes, drops):
        ok(staff.post(f"{LG}/orders/{order['id']}/delivery"))

    (held,) = [a for a in ok(prescriber.get(f"{views}/aids")) if a["article_number"] == cane["number"]]
    assert (held["kind"], held["quantity"], held["individual_number"], held["order_case_number"]) == ("holding", 3, None,
                                                                                                       canes["case_number"])
    assert held["payer"] and held["service_unit"]
    printed = _text(ok(prescriber.get(f"{views}/aid-list.pdf")))
    assert cane["number"] in printed and "Förbrukningsartiklar" in printed

    pickup = ok(prescriber.post(f"{LG}/pickups", json={"recipient_id": recipient["id"], "reason": "aid_centre",
                                                       "articles": [{"holding_id": held["holding_id"], "quantity": 2}]}), 201)
    assert pickup["articles"] == [{"holding_id": held["holding_id"], "article_id": cane["id"], "quantity": 2}]
    too_many = prescriber.post(f"{LG}/pickups", json={"recipient_id": recipient["id"], "reason": "aid_centre",
                                                      "articles": [{"holding_id": held["holding_id"], "quantity": 2}]})
    assert too_many.status_code == 409 and too_many.json()["type"] == "/problems/more-than-held", too_many.text
    assert too_many.json()["held"] == 1  # two of the three are on the pickup already
    ok(staff.post(f"{LG}/pickups/{pickup['id']}/done"))
    assert [a["quantity"] for a in ok(prescriber.get(f"{views}/aids")) if a["holding_id"] == held["holding_id"]] == [1]
    back = [(r["article_number"], r["quantity"]) for r in ok(prescriber.get(f"{views}/returned"))]
    assert back == [(cane["number"], 2)]

    at_once = ok(prescriber.post(f"{LG}/pickups", json={"recipient_id": recipient["id"], "reason": "returned_not_deregistered",
                                                        "articles": [{"article_id": cane["id"], "quantity": 1}]}), 201)
    assert at_once["status"] == "done"
    assert [a for a in ok(prescriber.get(f"{views}/aids")) if a["holding_id"] == held["holding_id"]] == []
    assert cane["number"] not in _text(ok(prescriber.get(f"{views}/aid-list.pdf")))

    (consumable,) = ok(prescriber.get(f"{views}/consumables"))
    assert consumable["status"] == "delivered" and consumable["holding_id"]
    assert consumable["article_number"] not in {a["article_number"] for a in ok(prescriber.get(f"{views}/aids"))}
    no = prescriber.post(f"{LG}/pickups", json={"recipient_id": recipient["id"], "reason": "aid_centre",
                                                "articles": [{"holding_id": consumable["holding_id"], "quantity": 1}]})
    assert no.status_code == 422 and "consumables are not picked up or returned" in no.json()["detail"], no.text


def test_returns_part_of_a_held_purchased_aid_to_the_own_store(platform, prescriber):
    """LG-13/LG-21: of two purchased canes held, one goes back to the prescriber's own buffer store after the
    return receipt that lists it; the receipt cannot list more than is held, nor a consumable (LG-18)."""
    recipient = register_recipient(prescriber)
    views = f"{LG}/recipients/{recipient['id']}"
    cane = available_article(prescriber, at_least=2)
    order = order_and_submit(prescriber, recipient["id"], cane["id"], quantity=2)
    ok(platform.sign_in("demo.aidcentre").post(f"{LG}/orders/{order['id']}/delivery"))
    (held,) = [a for a in ok(prescriber.get(f"{views}/aids")) if a["kind"] == "holding"]

    too_many = prescriber.post(f"{views}/return-receipts", json={"holdings": [{"holding_id": held["holding_id"], "quantity": 3}]})
    assert too_many.status_code == 409 and too_many.json()["type"] == "/problems/more-than-held", too_many.text
    receipt = prescriber.post(f"{views}/return-receipts", json={"holdings": [{"holding_id": held["holding_id"], "quantity": 1}]})
    number = ok(receipt, 201) and receipt.headers["receipt-number"]
    assert cane["number"] in _text(receipt.content)
    store = demo.BY_KEY["store.1"].code
    more = prescriber.post(f"{LG}/returns", json={"recipient_id": recipient["id"], "receipt_number": number, "warehouse_code": store,
                                                  "holdings": [{"holding_id": held["holding_id"], "quantity": 2}]})
    assert more.status_code == 409 and more.json()["type"] == "/problems/return-receipt-needed", more.text
    returned = ok(prescriber.post(f"{LG}/returns", json={"recipient_id": recipient["id"], "receipt_number": number,
                                                         "warehouse_code": store,
                                                         "holdings": [{"holding_id": held["holding_id"], "quantity": 1}]}))
    assert returned["holdings"] == [{"holding_id": held["holding_id"], "returned": 1, "quantity": 1}]
    assert [a["quantity"] for a in ok(prescriber.get(f"{views}/aids")) if a["kind"] == "holding"] == [1]
    assert [(r["article_number"], r["quantity"]) for r in ok(prescriber.get(f"{views}/returned"))] == [(cane["number"], 1)]


def _text(pdf: bytes) -> str:
    """What the printout says, as the prescriber reads it."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_reports_an_activity_and_a_deviation(prescriber):
    recipient = register_recipient(prescriber)
    activity = ok(prescriber.post(f"{LG}/activities", json={
        "recipient_id": recipient["id"], "activity_type": "repair", "priority": "normal",
        "description": "Bromsen på rollatorn tar inte"}), 200, 201)
    assert activity["status"] and activity["case_number"]
    views = ok(prescriber.get(f"{LG}/recipients/{recipient['id']}/activities"))
    assert activity["case_number"] in {a["case_number"] for a in views}
    deviation = ok(prescriber.post(f"{LG}/deviations", json={
        "recipient_id": recipient["id"], "event_type": "near_miss", "category": "delivery",
        "description": "Fel storlek levererades nästan"}), 200, 201)
    assert deviation["case_number"] in {d["case_number"] for d in
                                        ok(prescriber.get(f"{LG}/recipients/{recipient['id']}/deviations"))}


def test_the_register_look_up_and_the_reads_are_audited_with_the_reason(platform, prescriber):
    """#18 (HSLF-FS 2016:40): who looked up whom, when and why; the chain holds."""
    recipient = register_recipient(prescriber)
    ok(prescriber.get(f"{LG}/recipients/{recipient['id']}"))
    admin = platform.sign_in("demo.admin")

    def rows():
        found = ok(admin.get(f"{LG}/admin/audit", params={"subject_id": recipient["id"]}))
        return found if len(found) >= 2 else None

    found = wait_for(rows, what="the audit rows of the look-up and the read")
    assert {row["actor_id"] for row in found} == {prescriber.id}
    assert "förskrivning av gånghjälpmedel" in {row["reason"] for row in found}
    assert ok(admin.get(f"{LG}/admin/audit/verify"))["valid"] is True
