"""Aid-centre staff (KHS/HMC, demo.aidcentre of Region Exempelland): sign in with the SITHS card (GW-2),
publish news to the prescribers (LG-17), register an A-aid individual in the aid centre's warehouse (LG-8),
deliver a prescriber's order (LG-11) and close the activity a prescriber reported (LG-14); the region's
invoice run (BL-8)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from flows import LG, available_article, order_and_submit, prescriber_ready, register_recipient
from people import ok


@pytest.fixture(scope="module")
def staff(platform):
    return platform.sign_in("demo.aidcentre")


@pytest.fixture(scope="module")
def prescriber(platform):
    me = platform.sign_in("demo.prescriber")
    prescriber_ready(me, "demo.prescriber")
    return me


def test_publishes_news_the_prescribers_read(staff, prescriber):
    title = f"Nytt sortiment {uuid.uuid4().hex[:6]}"
    published = ok(staff.post(f"{LG}/news", json={"title": title, "body": "Nya rollatorer från och med nästa månad."}), 200, 201)
    news = ok(prescriber.get(f"{LG}/news"))
    assert title in [n["title"] for n in news]
    ok(prescriber.post(f"{LG}/news/{published['id']}/read"), 200, 204)
    assert next(n for n in ok(prescriber.get(f"{LG}/news")) if n["id"] == published["id"])["read"] is True


def test_delivers_an_order_and_closes_an_activity(staff, prescriber):
    recipient = register_recipient(prescriber)
    article = available_article(prescriber)
    submitted = order_and_submit(prescriber, recipient["id"], article["id"])
    assert ok(staff.post(f"{LG}/orders/{submitted['id']}/delivery"))["status"] == "delivered"
    activity = ok(prescriber.post(f"{LG}/activities", json={
        "recipient_id": recipient["id"], "activity_type": "adjustment", "description": "Höj handtagen två hål"}), 200, 201)
    closed = ok(staff.post(f"{LG}/activities/{activity['id']}/close", json={"work_done": "Handtagen höjda"}))
    assert closed["status"] == "closed"
    assert activity["case_number"] in {a["case_number"] for a in
                                       ok(prescriber.get(f"{LG}/recipients/{recipient['id']}/activities"))}


def test_registers_an_a_aid_individual_in_the_aid_centre_warehouse(staff):
    wheelchairs = ok(staff.get(f"{LG}/articles/search", params={"q": "rullstol", "type": "main"}))["hits"]
    chair = next(h for h in wheelchairs if h["aid_class"] == "A" and h["individual_tracked"])
    def balance() -> int:
        rows = ok(staff.get(f"{LG}/warehouses/100/balances", params={"with_balance": "false"}))
        return next((row["quantity"] for row in rows if row["article_id"] == chair["id"]), 0)

    before = balance()
    number = f"J-{uuid.uuid4().hex[:8].upper()}"
    individual = ok(staff.post(f"{LG}/individuals", json={
        "article_id": chair["id"], "warehouse_code": "100", "number": number, "serial_number": f"SN-{number}",
        "purchase_date": date.today().isoformat()}), 201)
    assert individual["number"] == number
    found = ok(staff.get(f"{LG}/individuals/search", params={"q": number}))
    assert number in str(found)
    assert balance() == before + 1  # #19: registering an individual adds it to the stock balance
