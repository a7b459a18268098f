"""Logistics II with real servers: pickups (the printouts, the supplier's without personal data, a
consumable refused, "returned but not deregistered" at once), returns of B-aids after a return receipt
(optionally scrapped), activities that block an order's delivery until closed, a special adaptation
that needs its form, deviations, the recipient's views and the case-number and period search."""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from contracts.identity import luhn_ok
from kit.testing import fetch
from kit.testing.tokens import TokenIssuer
from logistics.settings import Settings as LogisticsSettings
from logistics.testing import aid_centre, pdf_text, running_logistics
from logistics.testing import prescriber as logistics_prescriber

KEY = TokenIssuer()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(scope="module")
async def logistics(test_env):
    settings = test_env.settings(LogisticsSettings, database="logistics_two", jwt_public_key=KEY.public_pem,
                                 partner_exchange=f"partner.logistics.{test_env.run_id}")
    async with running_logistics(test_env, settings) as service:
        service.env = test_env
        service.aid_centre = await aid_centre(service, test_env, KEY)
        yield service


async def prescriber(svc) -> dict:
    return await logistics_prescriber(svc, svc.env, KEY)


async def recipient_with_aids(svc, me, *, aid_class: str, count: int = 1) -> tuple[dict, list[dict]]:
    """A new patient with ``count`` individuals of the given class delivered from the own store."""
    number = await invented_number(svc)
    patient = (await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": number, "reason": "ny förskrivning"})).json()
    article = (await fetch(svc.settings, "SELECT id FROM articles WHERE aid_class = $1 AND individual_tracked LIMIT 1", aid_class))[0]["id"]
    delivered = []
    for _ in range(count):
        number_of_individual = f"T-{uuid.uuid4().hex[:8]}"
        await fetch(svc.settings, "INSERT INTO individuals (id, number, serial_number, article_id, status, stock_status, warehouse_code) "
                                  "VALUES (gen_random_uuid(), $1, $2, $3, 'in_stock', 'ready', 'K1201')",
                    number_of_individual, f"SN-{number_of_individual}", article)
        individual = (await svc.client.get("/individuals/search", headers=me, params={"q": number_of_individual})).json()["exact"]
        assert (await svc.client.post(f"/individuals/{individual['id']}/delivery", headers=me,
                                      json={"recipient_id": patient["id"]})).status_code == 200
        delivered.append(individual)
    return patient, delivered


_numbers = iter(range(1, 900))


async def invented_number(svc) -> str:
    while True:
        body = f"19520312{next(_numbers):03d}"
        for check in range(10):
            if luhn_ok(body[2:] + str(check)):
                return body + str(check)


async def test_pickups_their_printouts_and_the_aids_coming_back(logistics):
    svc = logistics
    me = await prescriber(svc)
    patient, (aid,) = await recipient_with_aids(svc, me, aid_class="A")
    consumable = (await fetch(svc.settings, "SELECT id FROM articles WHERE article_type = 'consumable' LIMIT 1"))[0]["id"]
    refused = await svc.client.post("/pickups", headers=me, json={"recipient_id": patient["id"], "reason": "aid_centre",
                                                                  "articles": [{"article_id": str(consumable)}]})
    assert refused.status_code == 422 and "consumables are not picked up" in refused.json()["detail"]

    created = await svc.client.post("/pickups", headers=me, json={
        "recipient_id": patient["id"], "reason": "aid_centre", "individual_ids": [aid["id"]], "instructions": "Portkod 1234"})
    assert created.status_code == 201, created.text
    pickup = created.json()
    assert pickup["status"] == "registered" and len(pickup["case_number"]) == 8 and pickup["pickup_address"]
    printed = pdf_text((await svc.client.get(f"/pickups/{pickup['id']}.pdf", headers=me)).content)
    assert pickup["case_number"] in printed and patient["name"] in printed and aid["number"] in printed and "Portkod 1234" in printed
    for_supplier = pdf_text((await svc.client.get(f"/pickups/{pickup['id']}.pdf", headers=me, params={"document": "supplier"})).content)
    assert aid["number"] in for_supplier and patient["name"] not in for_supplier and patient["personal_number"][:8] not in for_supplier

    assert (await svc.client.post(f"/pickups/{pickup['id']}/done", headers=me)).status_code == 403
    done = await svc.client.post(f"/pickups/{pickup['id']}/done", headers=svc.aid_centre)
    assert done.json()["status"] == "done"
    back = (await svc.client.get(f"/individuals/{aid['id']}", headers=me)).json()
    assert (back["status"], back["warehouse_code"], back["stock_status"], back["recipient_id"]) == ("in_stock", "100", "needs_cleaning", None)
    assert (await svc.client.get(f"/recipients/{patient['id']}/aids", headers=me)).json() == []
    assert [r["individual_id"] for r in (await svc.client.get(f"/recipients/{patient['id']}/returned", headers=me)).json()] == [aid["id"]]

    patient2, (aid2,) = await recipient_with_aids(svc, me, aid_class="A")
    at_once = await svc.client.post("/pickups", headers=me, json={
        "recipient_id": patient2["id"], "reason": "returned_not_deregistered", "individual_ids": [aid2["id"]]})
    assert at_once.json()["status"] == "done"
    assert (await svc.client.get(f"/recipients/{patient2['id']}/aids", headers=me)).json() == []


async def test_returns_of_purchased_aids_need_the_receipt_and_may_scrap(logistics):
    svc = logistics
    me = await prescriber(svc)
    patient, (kept, scrapped) = await recipient_with_aids(svc, me, aid_class="B", count=2)
    article = (await fetch(svc.settings, "SELECT article_id FROM individuals WHERE id = $1", uuid.UUID(kept["id"])))[0]["article_id"]
    before = (await fetch(svc.settings, "SELECT quantity FROM stock_balances WHERE warehouse_code = 'K1201' AND article_id = $1", article))
    before_qty = before[0]["quantity"] if before else 0

    no_receipt = await svc.client.post("/returns", headers=me, json={"recipient_id": patient["id"], "receipt_number": "26010000",
                                                                     "individual_ids": [kept["id"]], "warehouse_code": "K1201"})
    assert no_receipt.status_code == 409 and no_receipt.json()["type"] == "/problems/return-receipt-needed"
    receipt = await svc.client.post(f"/recipients/{patient['id']}/return-receipts", headers=me,
                                    json={"individual_ids": [kept["id"], scrapped["id"]]})
    receipt_number = receipt.headers["receipt-number"]
    assert re.fullmatch(r"\d{8}", receipt_number) and f"Nr {receipt_number}" in pdf_text(receipt.content)
    returned = await svc.client.post("/returns", headers=me, json={"recipient_id": patient["id"], "receipt_number": receipt_number,
                                                                   "individual_ids": [kept["id"]], "warehouse_code": "K1201"})
    assert returned.json() == {"individual_ids": [kept["id"]], "status": "in_stock", "warehouse_code": "K1201", "holdings": []}
    scrap = await svc.client.post("/returns", headers=me, json={"recipient_id": patient["id"], "receipt_number": receipt_number,
                                                                "individual_ids": [scrapped["id"]], "warehouse_code": "K1201", "scrap": True})
    assert scrap.json()["status"] == "scrapped"
    card = (await svc.client.get(f"/individuals/{scrapped['id']}", headers=me)).json()
    assert (card["status"], card["stock_status"], card["warehouse_code"]) == ("scrapped", "scrapped", None)  # not "ready"
    after = (await fetch(svc.settings, "SELECT quantity FROM stock_balances WHERE warehouse_code = 'K1201' AND article_id = $1", article))
    assert after[0]["quantity"] == before_qty + 1  # the scrapped one does not come into stock
    history = [e["kind"] for e in (await svc.client.get(f"/individuals/{scrapped['id']}", headers=me)).json()["history"]]
    assert history[0] == "scrapped"

    a_patient, (a_aid,) = await recipient_with_aids(svc, me, aid_class="A")
    a_receipt = (await svc.client.post(f"/recipients/{a_patient['id']}/return-receipts", headers=me,
                                       json={"individual_ids": [a_aid["id"]]})).headers["receipt-number"]
    rented = await svc.client.post("/returns", headers=me, json={"recipient_id": a_patient["id"], "receipt_number": a_receipt,
                                                                 "individual_ids": [a_aid["id"]], "warehouse_code": "K1201"})
    assert rented.status_code == 422 and "only purchased (B) aids" in rented.json()["detail"]


async def test_an_open_activity_blocks_the_delivery_of_its_order(logistics):
    svc = logistics
    me = await prescriber(svc)
    patient = (await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": await invented_number(svc), "reason": "ny förskrivning"})).json()
    chair = (await fetch(svc.settings, "SELECT id FROM articles WHERE article_type = 'main' AND NOT individual_tracked LIMIT 1"))[0]["id"]
    await fetch(svc.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ('100', $1, 4, 0) "
                              "ON CONFLICT (warehouse_code, article_id) DO UPDATE SET quantity = 4, reserved = 0", chair)
    cart = (await svc.client.post(f"/recipients/{patient['id']}/cart", headers=me)).json()
    await svc.client.post(f"/orders/{cart['id']}/lines", headers=me, json={"article_id": str(chair), "warehouse_code": "100"})
    order = (await svc.client.post(f"/orders/{cart['id']}/submit", headers=me)).json()

    activity = await svc.client.post("/activities", headers=me, json={
        "activity_type": "adjustment", "order_id": order["id"], "recipient_id": patient["id"], "description": "Anpassa sitthöjd"})
    assert activity.status_code == 201, activity.text
    blocked = await svc.client.post(f"/orders/{order['id']}/delivery", headers=svc.aid_centre)
    assert blocked.status_code == 409 and blocked.json()["type"] == "/problems/activity-open"
    assert (await fetch(svc.settings, "SELECT quantity, reserved FROM stock_balances WHERE warehouse_code = '100' AND article_id = $1",
                        chair))[0] == (4, 1)  # stock unchanged
    other = (await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": await invented_number(svc), "reason": "ny förskrivning"})).json()
    someone_elses = await svc.client.post("/activities", headers=me, json={
        "activity_type": "adjustment", "order_id": order["id"], "recipient_id": other["id"], "description": "Fel brukare"})
    assert someone_elses.status_code == 422 and "another recipient's" in someone_elses.json()["detail"]
    closed = await svc.client.post(f"/activities/{activity.json()['id']}/close", headers=svc.aid_centre, json={"work_done": "Sitthöjd 48 cm"})
    assert closed.json()["status"] == "closed"
    assert (await svc.client.post(f"/orders/{order['id']}/delivery", headers=svc.aid_centre)).json()["status"] == "delivered"
    too_late = await svc.client.post("/activities", headers=me, json={
        "activity_type": "adjustment", "order_id": order["id"], "recipient_id": patient["id"], "description": "Efteråt"})
    assert too_late.status_code == 409 and too_late.json()["type"] == "/problems/order-not-open"

    views = (await svc.client.get(f"/recipients/{patient['id']}/activities", headers=me)).json()
    assert [(v["case_number"], v["status"]) for v in views] == [(activity.json()["case_number"], "closed")]
    found = (await svc.client.get(f"/search/case/{activity.json()['case_number']}", headers=me)).json()
    assert found == {"kind": "activities", "id": activity.json()["id"], "case_number": activity.json()["case_number"]}
    mine = (await svc.client.get("/search/orders", headers=me, params={"mine": True, "period": "week"})).json()
    assert [o["case_number"] for o in mine] == [order["case_number"]]
    assert (await svc.client.get("/search/case/00000000", headers=me)).status_code == 404


async def test_a_special_adaptation_needs_its_form_and_attachments_are_checked(logistics):
    svc = logistics
    me = await prescriber(svc)
    body = {"activity_type": "special_adaptation", "description": "Specialanpassad sits", "priority": "high"}
    assert (await svc.client.post("/activities", headers=me, json=body)).status_code == 422
    fake = {"filename": "blankett.pdf", "content_type": "application/pdf", "content_base64": base64.b64encode(b"not a pdf").decode()}
    wrong = await svc.client.post("/activities", headers=me, json=body | {"attachments": [fake]})
    assert wrong.status_code == 422 and "not a PDF" in wrong.json()["detail"]
    form = {"filename": "blankett.pdf", "content_type": "application/pdf", "content_base64": base64.b64encode(PDF).decode()}
    made = await svc.client.post("/activities", headers=me, json=body | {"attachments": [form]})
    assert made.status_code == 201 and [a["filename"] for a in made.json()["attachments"]] == ["blankett.pdf"]
    photo = await svc.client.post(f"/activities/{made.json()['id']}/attachments", headers=me | {"Content-Type": "image/png", "X-Filename": "sits.png"},
                                  content=PNG)
    assert photo.status_code == 201 and photo.json()["size_bytes"] == len(PNG)
    large = PNG + b"\0" * (4 * 1024 * 1024)  # over the 1 MiB default body limit: the upload route allows more
    big = await svc.client.post(f"/activities/{made.json()['id']}/attachments", headers=me | {"Content-Type": "image/png", "X-Filename": "stor.png"},
                                content=large)
    assert big.status_code == 201 and big.json()["size_bytes"] == len(large)
    too_big = await svc.client.post(f"/activities/{made.json()['id']}/attachments", headers=me | {"Content-Type": "image/png", "X-Filename": "x.png"},
                                    content=PNG + b"\0" * (9 * 1024 * 1024))
    assert too_big.status_code == 413 and too_big.json()["type"] == "/problems/payload-too-large"
    text = await svc.client.post(f"/activities/{made.json()['id']}/attachments", headers=me | {"Content-Type": "text/plain", "X-Filename": "a.txt"},
                                 content=b"hello")
    assert text.status_code == 422


async def test_deviations_consumables_and_the_recipient_views(logistics):
    svc = logistics
    me = await prescriber(svc)
    patient, (aid,) = await recipient_with_aids(svc, me, aid_class="B")
    deviation = await svc.client.post("/deviations", headers=me, json={
        "event_type": "complaint", "category": "Trasig broms", "description": "Bromsen släpper", "recipient_id": patient["id"],
        "individual_ids": [aid["id"]]})
    assert deviation.status_code == 201
    assert [d["case_number"] for d in (await svc.client.get(f"/recipients/{patient['id']}/deviations", headers=me)).json()] == [
        deviation.json()["case_number"]]
    assert (await svc.client.post("/deviations", headers=me, json={"event_type": "rumour", "category": "x", "description": "xyz"})).status_code == 422

    consumable = (await fetch(svc.settings, "SELECT id, name FROM articles WHERE article_type = 'consumable' AND expires_on IS NULL LIMIT 1"))[0]
    await fetch(svc.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ('100', $1, 50, 0) "
                              "ON CONFLICT (warehouse_code, article_id) DO UPDATE SET quantity = 50, reserved = 0", consumable["id"])
    cart = (await svc.client.post(f"/recipients/{patient['id']}/cart", headers=me)).json()
    await svc.client.post(f"/orders/{cart['id']}/lines", headers=me, json={"article_id": str(consumable["id"]), "warehouse_code": "100", "quantity": 3})
    await svc.client.post(f"/orders/{cart['id']}/submit", headers=me)
    assert (await svc.client.get(f"/recipients/{patient['id']}/ordered", headers=me)).json() == []  # consumables only in their view
    listed = (await svc.client.get(f"/recipients/{patient['id']}/consumables", headers=me)).json()
    assert [(c["name"], c["quantity"], c["status"]) for c in listed] == [(consumable["name"], 3, "registered")]
