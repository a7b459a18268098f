"""Logistics orders with real servers: the lifecycle with components and stock movements, replacements
offered in rank order, concurrent orders that never take stock below zero, cancellation only while
registered, and partner-region events read by a separate consumer with no personal data in them."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import aio_pika
import pytest

from kit.demo import demo_id
from kit.testing import fetch, wait_for
from kit.testing.tokens import TokenIssuer
from logistics.settings import Settings as LogisticsSettings
from logistics.testing import aid_centre, pdf_text, running_logistics
from logistics.testing import prescriber as logistics_prescriber

KEY = TokenIssuer()
PERSONAL_NUMBER = "19400101-0026"
PDF = b"%PDF-1.4\n%%EOF\n"
IDENTITY_NUMBER = re.compile(r"(19|20)\d{6}-?\d{4}")


@pytest.fixture(scope="module")
async def logistics(test_env):
    partner_exchange = f"partner.logistics.{test_env.run_id}"
    settings = test_env.settings(LogisticsSettings, database="logistics_orders", jwt_public_key=KEY.public_pem,
                                 partner_exchange=partner_exchange)
    async with running_logistics(test_env, settings) as service:
        # a partner region: its own queue on the partner exchange, nothing else
        connection = await aio_pika.connect(test_env.servers.amqp_url)
        channel = await connection.channel()
        queue = await channel.declare_queue(f"partner-region.{test_env.run_id}", exclusive=True)
        await queue.bind(partner_exchange, routing_key="#")
        service.env = test_env
        service.aid_centre = await aid_centre(service, test_env, KEY)
        yield service, queue
        await connection.close()
        cleanup = await aio_pika.connect(test_env.servers.amqp_url)
        async with cleanup:
            await (await cleanup.channel()).exchange_delete(partner_exchange)


async def prescriber(svc) -> dict:
    return await logistics_prescriber(svc, svc.env, KEY, default_source="aid_centre")


async def patient(svc, headers) -> dict:
    return (await svc.client.post("/recipients", headers=headers, json={"kind": "patient", "personal_number": PERSONAL_NUMBER,
                                                                       "reason": "ny förskrivning"})).json()


async def set_stock(svc, article_id, warehouse: str, quantity: int) -> None:
    await fetch(svc.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ($1, $2, $3, 0) "
                              "ON CONFLICT (warehouse_code, article_id) DO UPDATE SET quantity = $3, reserved = 0",
                warehouse, article_id, quantity)


async def balance(svc, article_id, warehouse: str) -> tuple[int, int]:
    row = await fetch(svc.settings, "SELECT quantity, reserved FROM stock_balances WHERE warehouse_code = $1 AND article_id = $2",
                      warehouse, article_id)
    return row[0]["quantity"], row[0]["reserved"]


async def test_the_order_lifecycle_with_components_and_stock(logistics):
    svc, _ = logistics
    me = await prescriber(svc)
    recipient = await patient(svc, me)
    chair = (await fetch(svc.settings, "SELECT a.id FROM articles a WHERE iso_code = '122203' AND EXISTS "
                                       "(SELECT 1 FROM individuals i WHERE i.article_id = a.id AND i.warehouse_code = '100') LIMIT 1"))
    if not chair:  # make sure one wheelchair has an individual in warehouse 100
        chair = await fetch(svc.settings, "SELECT id FROM articles WHERE iso_code = '122203' LIMIT 1")
        await fetch(svc.settings, "INSERT INTO individuals (id, number, serial_number, article_id, status, stock_status, warehouse_code) "
                                  "VALUES (gen_random_uuid(), 'RS-0001', 'SN-RS-1', $1, 'in_stock', 'ready', '100')", chair[0]["id"])
    chair_id = chair[0]["id"]
    await set_stock(svc, chair_id, "100", 3)

    cart = (await svc.client.post(f"/recipients/{recipient['id']}/cart", headers=me)).json()
    assert cart["status"] == "cart" and cart["infection_flag"] is False and cart["delivery_address"]
    assert (await svc.client.post(f"/recipients/{recipient['id']}/cart", headers=me)).json()["id"] == cart["id"]  # one cart
    added = await svc.client.post(f"/orders/{cart['id']}/lines", headers=me, json={"article_id": str(chair_id), "warehouse_code": "100"})
    assert added.status_code == 201, added.text
    line = added.json()["lines"][0]
    assert sorted(c["standard"] for c in line["components"]) == [True, True]
    template = await fetch(svc.settings, "SELECT component_id, standard FROM article_components WHERE article_id = $1", chair_id)
    optional = next(str(t["component_id"]) for t in template if not t["standard"])
    standard = next(str(t["component_id"]) for t in template if t["standard"])
    changed = await svc.client.put(f"/orders/{cart['id']}/lines/{line['id']}/components", headers=me,
                                   json={"removed": [standard], "added": [{"article_id": optional}]})
    assert sorted((c["article_id"], c["standard"]) for c in changed.json()["lines"][0]["components"]) == sorted(
        [(str(t["component_id"]), t["standard"]) for t in template if str(t["component_id"]) != standard])
    stranger = await svc.client.put(f"/orders/{cart['id']}/lines/{line['id']}/components", headers=me,
                                    json={"added": [{"article_id": str(uuid.uuid4())}]})
    assert stranger.status_code == 422
    found = (await svc.client.get(f"/orders/{cart['id']}/lines/{line['id']}/components/search", headers=me,
                                  params={"q": "tippskydd"})).json()
    assert [(f["article_id"], f["standard"]) for f in found] == [(optional, False)]
    spec = await svc.client.post(f"/orders/{cart['id']}/lines/{line['id']}/attachments", content=PDF,
                                 headers=me | {"Content-Type": "application/pdf", "X-Filename": "matt.pdf"})
    assert spec.status_code == 201
    note = await svc.client.post(f"/orders/{cart['id']}/attachments", content=b"GIF89a",
                                 headers=me | {"Content-Type": "image/gif", "X-Filename": "x.gif"})
    assert note.status_code == 422 and "PDF, PNG or JPEG" in note.json()["detail"]
    manual = await svc.client.post(f"/orders/{cart['id']}/lines", headers=me, json={"manual_text": "Specialkudde"})
    assert manual.status_code == 422 and "comment" in manual.json()["detail"]
    manual = await svc.client.post(f"/orders/{cart['id']}/lines", headers=me,
                                   json={"manual_text": "Specialkudde", "comment": "Finns inte i sortimentet"})
    assert manual.status_code == 201
    await svc.client.patch(f"/orders/{cart['id']}", headers=me, json={"infection_flag": True, "instructions": "Ring före"})

    submitted = (await svc.client.post(f"/orders/{cart['id']}/submit", headers=me)).json()
    assert submitted["kind"] == "manual" and [a["filename"] for a in submitted["lines"][0]["attachments"]] == ["matt.pdf"]
    assert submitted["status"] == "registered" and re.fullmatch(r"\d{8}", submitted["case_number"]) and submitted["planned_delivery"]
    assert submitted["infection_flag"] is True
    assert (await svc.client.get(f"/recipients/{recipient['id']}")).status_code in (401, 403)
    assert (await svc.client.get(f"/recipients/{recipient['id']}", headers=me)).json()["infection_flag"] is False  # the default stays
    assert await balance(svc, chair_id, "100") == (3, 1)
    assert (await svc.client.get(f"/orders/by-case-number/{submitted['case_number']}", headers=me)).json()["id"] == cart["id"]
    ordered = (await svc.client.get(f"/recipients/{recipient['id']}/ordered", headers=me)).json()
    assert {o["case_number"] for o in ordered} == {submitted["case_number"]} and len(ordered) == 2
    aid_list = (await svc.client.get(f"/recipients/{recipient['id']}/aid-list.pdf", headers=me)).content
    text = pdf_text(aid_list)
    assert submitted["case_number"] in text and "Specialkudde" in text  # ordered, not yet delivered

    delivered = await svc.client.post(f"/orders/{cart['id']}/delivery", headers=svc.aid_centre)
    assert delivered.json()["status"] == "delivered"
    assert await balance(svc, chair_id, "100") == (2, 0)
    aids = (await svc.client.get(f"/recipients/{recipient['id']}/aids", headers=me)).json()
    assert [a["article_number"] for a in aids][:1] == [submitted["lines"][0]["article_number"]]
    late = await svc.client.post(f"/orders/{cart['id']}/cancel", headers=me)
    assert late.status_code == 409 and "only while it is registered" in late.json()["detail"]


async def test_replacements_are_offered_in_rank_order_and_cancel_gives_stock_back(logistics):
    svc, _ = logistics
    me = await prescriber(svc)
    recipient = await patient(svc, me)
    ranked = await fetch(svc.settings, "SELECT article_id FROM replacement_members ORDER BY rank")
    first, second, third, fourth = (r["article_id"] for r in ranked)
    for article, quantity in ((first, 0), (second, 0), (third, 4), (fourth, 9)):
        await set_stock(svc, article, "200", quantity)
    cart = (await svc.client.post(f"/recipients/{recipient['id']}/cart", headers=me)).json()
    refused = await svc.client.post(f"/orders/{cart['id']}/lines", headers=me, json={"article_id": str(first), "warehouse_code": "200"})
    assert refused.status_code == 409 and refused.json()["available"] == 0
    assert [r["article_id"] for r in refused.json()["replacements"]] == [str(third), str(fourth)]
    assert [r["rank"] for r in refused.json()["replacements"]] == [3, 4]
    taken = await svc.client.post(f"/orders/{cart['id']}/lines", headers=me, json={"article_id": str(third), "warehouse_code": "200", "quantity": 2})
    assert taken.status_code == 201
    submitted = (await svc.client.post(f"/orders/{cart['id']}/submit", headers=me)).json()
    assert await balance(svc, third, "200") == (4, 2)
    cancelled = await svc.client.post(f"/orders/{submitted['id']}/cancel", headers=me)
    assert cancelled.json()["status"] == "cancelled"
    assert await balance(svc, third, "200") == (4, 0)


async def test_concurrent_orders_never_take_stock_below_zero(logistics):
    svc, _ = logistics
    article = (await fetch(svc.settings, "SELECT id FROM articles WHERE article_type = 'consumable' LIMIT 1"))[0]["id"]
    await set_stock(svc, article, "100", 5)
    carts = []
    for _ in range(20):
        me = await prescriber(svc)
        recipient = await patient(svc, me)
        cart = (await svc.client.post(f"/recipients/{recipient['id']}/cart", headers=me)).json()
        assert (await svc.client.post(f"/orders/{cart['id']}/lines", headers=me,
                                      json={"article_id": str(article), "warehouse_code": "100"})).status_code == 201
        carts.append((me, cart["id"]))
    results = await asyncio.gather(*(svc.client.post(f"/orders/{cart}/submit", headers=me) for me, cart in carts))
    assert sorted(r.status_code for r in results) == [200] * 5 + [409] * 15
    assert {r.json()["type"] for r in results if r.status_code == 409} == {"/problems/not-available"}
    assert await balance(svc, article, "100") == (5, 5)
    # the search shows what an order can still reserve: all five are held by the submitted orders
    number = (await fetch(svc.settings, "SELECT number FROM articles WHERE id = $1", article))[0]["number"]
    hits = (await svc.client.get("/articles/search", headers=me, params={"q": number, "warehouse": "100"})).json()["hits"]
    assert [h["available"] for h in hits if h["id"] == str(article)] == [0]
    late = await svc.client.post(f"/recipients/{recipient['id']}/cart", headers=me)
    refused = await svc.client.post(f"/orders/{late.json()['id']}/lines", headers=me,
                                    json={"article_id": str(article), "warehouse_code": "100"})
    assert refused.status_code == 409 and refused.json()["available"] == 0


async def test_partner_events_carry_no_personal_data(logistics):
    svc, partner_queue = logistics
    me = await prescriber(svc)
    recipient = await patient(svc, me)
    article = (await fetch(svc.settings, "SELECT id FROM articles WHERE article_type = 'accessory' LIMIT 1"))[0]["id"]
    await set_stock(svc, article, "100", 10)
    cart = (await svc.client.post(f"/recipients/{recipient['id']}/cart", headers=me)).json()
    await svc.client.post(f"/orders/{cart['id']}/lines", headers=me, json={"article_id": str(article), "warehouse_code": "100"})
    submitted = (await svc.client.post(f"/orders/{cart['id']}/submit", headers=me)).json()
    await svc.client.post(f"/orders/{cart['id']}/delivery", headers=svc.aid_centre)

    received: list[dict] = []

    async def both_arrived():
        while (message := await partner_queue.get(fail=False, timeout=1)) is not None:
            await message.ack()
            received.append(json.loads(message.body))
        types = {m["event_type"] for m in received if m["payload"].get("case_number") == submitted["case_number"]}
        return {"logistics.order_registered.v1", "logistics.order_delivered.v1"} <= types

    await wait_for(both_arrived, timeout=20, what="the partner events")
    names = {recipient["name"], *recipient["name"].split()}
    for message in received:
        text = json.dumps(message, ensure_ascii=False)
        assert not IDENTITY_NUMBER.search(text), text
        assert not any(name in text for name in names if len(name) > 3), text
        assert recipient["id"] not in text  # a pseudonym, not the recipient's id
    refs = {m["payload"]["recipient_ref"] for m in received if m["payload"].get("case_number") == submitted["case_number"]}
    assert len(refs) == 1


async def test_an_order_is_for_the_chosen_granted_unit_with_its_orderer_and_prescriber(logistics):
    """The KHS manual's "beställare" and "förskrivare": the order records both; its service unit is the
    default setting unless another granted one is chosen, and the payer is that unit's municipality."""
    svc, _ = logistics
    orderer_id, colleague_id = uuid.uuid4(), uuid.uuid4()
    me = await logistics_prescriber(svc, svc.env, KEY, account_id=orderer_id, units=("unit.1b", "unit.1a"), stores=(),
                                    default_source="aid_centre")
    await logistics_prescriber(svc, svc.env, KEY, account_id=colleague_id, units=("unit.1a",), stores=(), default_source="aid_centre")
    recipient = await patient(svc, me)
    default = (await svc.client.post(f"/recipients/{recipient['id']}/cart", headers=me)).json()
    assert (default["service_unit_code"], default["service_unit"], default["payer_code"], default["payer"]) == (
        "EX-REH", "Exempelkommunen rehabenhet", "1201", "Exempelkommunen")
    assert default["payer_id"] == str(demo_id("municipality.1")) and default["our_reference"] == "Exempelkommunen rehabenhet"
    assert default["orderer_id"] == default["prescriber_id"] == str(orderer_id)
    # per order: another granted unit, another prescriber of that unit
    other_unit = await svc.client.patch(f"/orders/{default['id']}", headers=me, json={"service_unit_id": str(demo_id("unit.2a"))})
    assert other_unit.status_code == 403 and str(demo_id("unit.2a")) in other_unit.json()["detail"]
    changed = await svc.client.patch(f"/orders/{default['id']}", headers=me, json={
        "service_unit_id": str(demo_id("unit.1a")), "prescriber_id": str(colleague_id)})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["service_unit_code"], changed.json()["prescriber_id"], changed.json()["orderer_id"]) == (
        "EX-HSV", str(colleague_id), str(orderer_id))
    stranger = await svc.client.patch(f"/orders/{default['id']}", headers=me, json={"prescriber_id": str(uuid.uuid4())})
    assert stranger.status_code == 403 and "EX-HSV" in stranger.json()["detail"]
    # the colleague is the prescriber, not the orderer: the cart stays the orderer's
    colleague = KEY.headers(colleague_id, "prescriber")
    assert (await svc.client.patch(f"/orders/{default['id']}", headers=colleague, json={"comment": "x"})).status_code == 403
    # a new cart (another recipient: a care unit) for a unit chosen at once
    other = (await svc.client.post("/recipients", headers=me, json={"kind": "care_unit", "care_unit_number": "8123",
                                                                    "name": "Exempelgårdens korttidsboende 2"})).json()
    chosen = (await svc.client.post(f"/recipients/{other['id']}/cart", headers=me, json={"service_unit_id": str(demo_id("unit.1a"))})).json()
    assert chosen["service_unit_code"] == "EX-HSV"
    listed = (await svc.client.get("/search/orders", headers=me, params={"service_unit": "EX-HSV"})).json()
    assert all(o["service_unit_code"] == "EX-HSV" for o in listed)
