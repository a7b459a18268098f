"""The tenancy matrix of logistics (and billing's invoice specifications), issue #18: for every route, a
person of municipality 1 reading or writing municipality 2's record is refused — with the same answer as for
an id that does not exist — and their own is served.

``ROUTES`` lists every route of the two OpenAPI documents (the test below fails on one that is not listed):
``matrix`` routes are exercised here; ``public`` ones serve no organisation's record (health; the region's
catalogue, stock balances and news, shared by every signed-in staff member; role-checked only);
``own-account`` ones act on the caller's own account only.

Everyone is kit.demo's cast signed in through the gateway as they do (SITHS development certificates for the
prescribers, controllers and aid-centre staff; the admin with password + SMS code), calling logistics and
billing through it (/api/logistics, /api/billing); grants and revocations are made by aid-centre staff through
the gateway's /directory API.
"""

from __future__ import annotations

import uuid

import pytest

from contracts.identity import luhn_ok
from kit.demo import demo_id
from kit.testing import fetch, wait_for
from logistics.testing import running_platform, until

ROUTES = {
    # logistics
    "GET /health/live": "public",
    "GET /health/ready": "public",
    "GET /whoami": "own-account",
    "GET /articles/search": "public",
    "GET /articles/{article_id}": "public",
    "GET /iso-tree": "public",
    "POST /articles": "public",
    "GET /warehouses": "public",
    "GET /warehouses/{code}/balances": "public",
    "GET /warehouses/{code}/balance-report.pdf": "public",
    "GET /warehouses/{code}/individuals": "public",
    "POST /individuals": "matrix",
    "GET /individuals/search": "matrix",
    "GET /individuals/{individual_id}": "matrix",
    "POST /individuals/{individual_id}/number": "matrix",
    "POST /individuals/{individual_id}/delivery": "matrix",
    "POST /warehouses/{code}/replenishments": "matrix",
    "POST /replenishments/{order_id}/receive": "matrix",
    "POST /recipients": "matrix",
    "GET /recipients/{recipient_id}": "matrix",
    "PATCH /recipients/{recipient_id}": "matrix",
    "GET /recipients/{recipient_id}/aids": "matrix",
    "GET /recipients/{recipient_id}/activities": "matrix",
    "GET /recipients/{recipient_id}/consumables": "matrix",
    "GET /recipients/{recipient_id}/deviations": "matrix",
    "GET /recipients/{recipient_id}/returned": "matrix",
    "GET /recipients/{recipient_id}/aid-list.pdf": "matrix",
    "POST /recipients/{recipient_id}/return-receipts": "matrix",
    "GET /prescribers/me": "own-account",
    "PUT /prescribers/me/settings": "matrix",
    "PUT /prescribers/me/contact": "own-account",
    "GET /news": "public",
    "POST /news": "public",
    "POST /news/{news_id}/read": "own-account",
    "POST /recipients/{recipient_id}/cart": "matrix",
    "POST /orders/{order_id}/lines": "matrix",
    "PUT /orders/{order_id}/lines/{line_id}/components": "matrix",
    "POST /orders/{order_id}/attachments": "matrix",
    "POST /orders/{order_id}/lines/{line_id}/attachments": "matrix",
    "GET /orders/{order_id}/lines/{line_id}/components/search": "matrix",
    "DELETE /orders/{order_id}/lines/{line_id}": "matrix",
    "PATCH /orders/{order_id}": "matrix",
    "POST /orders/{order_id}/submit": "matrix",
    "POST /orders/{order_id}/cancel": "matrix",
    "POST /orders/{order_id}/delivery": "matrix",
    "GET /orders/by-case-number/{case_number}": "matrix",
    "GET /recipients/{recipient_id}/ordered": "matrix",
    "POST /pickups": "matrix",
    "POST /pickups/{pickup_id}/done": "matrix",
    "GET /pickups/{pickup_id}.pdf": "matrix",
    "POST /returns": "matrix",
    "POST /activities": "matrix",
    "POST /activities/{activity_id}/attachments": "matrix",
    "POST /activities/{activity_id}/close": "matrix",
    "GET /activities/{activity_id}": "matrix",
    "POST /deviations": "matrix",
    "GET /search/case/{number}": "matrix",
    "GET /search/{kind}": "matrix",
    "GET /admin/audit": "matrix",
    "GET /admin/audit/verify": "matrix",
    # billing: the invoice specifications
    "billing POST /invoice-specifications/rent-runs": "matrix",
    "billing GET /invoice-specifications": "matrix",
    "billing GET /invoice-specifications/{specification_id}.xlsx": "matrix",
    "billing GET /invoice-specifications/{specification_id}": "matrix",
}
PDF = b"%PDF-1.4\n%%EOF\n"
_numbers = iter(range(1, 900))


def invented_number() -> str:
    while True:
        body = f"19610523{next(_numbers):03d}"
        for check in range(10):
            if luhn_ok(body[2:] + str(check)):
                return body + str(check)


class World:
    """Municipality 1's and 2's people and records."""


async def _municipality(platform, me: dict, store: str, staff: dict) -> dict:
    """A prescriber's records: a recipient with an aid delivered from the own store, one in stock, a return
    receipt, a registered order, a delivered order of two accessories (a holding), a cart with a line, an
    activity, a pickup of one of the accessories, a deviation, a replenishment."""
    c, svc = platform.logistics, platform.logistics_service
    r = (await c.post("/recipients", headers=me, json={"kind": "patient", "personal_number": invented_number(),
                                                       "reason": "förskrivning"})).json()
    b_aid = (await fetch(svc.settings, "SELECT id FROM articles WHERE aid_class = 'B' AND individual_tracked ORDER BY number LIMIT 1"))[0]["id"]
    made = []
    for _ in range(2):
        added = await c.post("/individuals", headers=me, json={"article_id": str(b_aid), "warehouse_code": store,
                                                               "number": f"TN-{uuid.uuid4().hex[:8]}", "serial_number": "SN-1"})
        assert added.status_code == 201, added.text
        made.append(added.json())
    assert (await c.post(f"/individuals/{made[0]['id']}/delivery", headers=me, json={"recipient_id": r["id"]})).status_code == 200
    receipt = await c.post(f"/recipients/{r['id']}/return-receipts", headers=me, json={"individual_ids": [made[0]["id"]]})
    consumable = (await fetch(svc.settings, "SELECT id FROM articles WHERE article_type = 'consumable' AND debit_form = 'purchase' "
                                            "AND expires_on IS NULL ORDER BY number LIMIT 1"))[0]["id"]
    await fetch(svc.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ('100', $1, 1000, 0) "
                              "ON CONFLICT (warehouse_code, article_id) DO UPDATE SET quantity = 1000", consumable)
    order = (await c.post(f"/recipients/{r['id']}/cart", headers=me)).json()
    assert (await c.post(f"/orders/{order['id']}/lines", headers=me, json={"article_id": str(consumable), "warehouse_code": "100"})).status_code == 201
    order = (await c.post(f"/orders/{order['id']}/submit", headers=me)).json()
    assert order["status"] == "registered"
    # a second recipient's cart, left open
    r2 = (await c.post("/recipients", headers=me, json={"kind": "patient", "personal_number": invented_number(), "reason": "förskrivning"})).json()
    cart = (await c.post(f"/recipients/{r2['id']}/cart", headers=me)).json()
    cart = (await c.post(f"/orders/{cart['id']}/lines", headers=me, json={"article_id": str(consumable), "warehouse_code": "100"})).json()
    activity = (await c.post("/activities", headers=me, json={"activity_type": "repair", "recipient_id": r["id"],
                                                              "description": "Bromsen tar inte"})).json()
    accessory = (await fetch(svc.settings, "SELECT id FROM articles WHERE article_type = 'accessory' AND NOT individual_tracked "
                                           "AND expires_on IS NULL ORDER BY number LIMIT 1"))[0]["id"]
    await fetch(svc.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ('100', $1, 1000, 0) "
                              "ON CONFLICT (warehouse_code, article_id) DO UPDATE SET quantity = 1000", accessory)
    held = (await c.post(f"/recipients/{r['id']}/cart", headers=me)).json()
    assert (await c.post(f"/orders/{held['id']}/lines", headers=me, json={"article_id": str(accessory), "warehouse_code": "100",
                                                                          "quantity": 2})).status_code == 201
    assert (await c.post(f"/orders/{held['id']}/submit", headers=me)).status_code == 200
    assert (await c.post(f"/orders/{held['id']}/delivery", headers=staff)).status_code == 200
    holding = next(a for a in (await c.get(f"/recipients/{r['id']}/aids", headers=me)).json() if a["kind"] == "holding")
    pickup = (await c.post("/pickups", headers=me, json={"recipient_id": r["id"], "reason": "aid_centre",
                                                         "articles": [{"article_id": str(accessory)}]})).json()
    deviation = (await c.post("/deviations", headers=me, json={"event_type": "complaint", "category": "Leverans",
                                                               "description": "Sen leverans", "recipient_id": r["id"]})).json()
    replenishment = (await c.post(f"/warehouses/{store}/replenishments", headers=me,
                                  json={"lines": [{"article_id": str(accessory), "quantity": 1}]})).json()
    return {"recipient": r, "delivered": made[0], "in_stock": made[1], "receipt": receipt.headers["receipt-number"], "order": order,
            "cart": cart, "line": cart["lines"][0], "activity": activity, "pickup": pickup, "deviation": deviation,
            "replenishment": replenishment, "store": store, "b_aid": str(b_aid), "accessory": str(accessory), "holding": holding}


@pytest.fixture(scope="module")
async def world(test_env):
    """The platform once for the module: kit.demo's people signed in, and each municipality's records."""
    async with running_platform(test_env, "tenancy") as platform:
        w = World()
        w.platform, w.svc, w.billing = platform, platform.logistics, platform.billing
        w.p1, w.p2 = await platform.person("demo.prescriber"), await platform.person("demo.prescriber2")
        w.aid_centre = await platform.person("demo.aidcentre")
        w.admin = await platform.person("demo.admin")
        w.m1 = await _municipality(platform, w.p1, "K1201", w.aid_centre)
        w.m2 = await _municipality(platform, w.p2, "K1202", w.aid_centre)
        w.controllers = [await platform.person("demo.controller"), await platform.person("demo.controller2")]

        async def granted():  # billing's copy lets each controller read their own municipality's
            answers = [await w.billing.get("/invoice-specifications", headers=who, params={"payer": payer})
                       for who, payer in zip(w.controllers, ("1201", "1202"), strict=True)]
            return all(a.status_code == 200 for a in answers)

        async def region():  # logistics' copy has the aid centre's region: both municipalities' orders listed
            listed = await w.svc.get("/search/orders", headers=w.aid_centre, params={"limit": 500})
            return listed.status_code == 200 and {w.m1["order"]["id"], w.m2["order"]["id"]} <= {x["id"] for x in listed.json()}

        await wait_for(granted, timeout=20, what="the controllers in billing")
        await wait_for(region, timeout=20, what="the aid centre's region in logistics")
        yield w


async def same_as_missing(client, method: str, path: str, real: str, **kwargs) -> int:
    """The answer for another municipality's id and for a missing id: the same status and problem type."""
    theirs = await client.request(method, path.format(id=real), **kwargs)
    missing = await client.request(method, path.format(id=str(uuid.uuid4())), **kwargs)
    assert theirs.status_code == missing.status_code and theirs.status_code in (403, 404), (path, theirs.text, missing.text)
    assert theirs.json()["type"] == missing.json()["type"], (path, theirs.text, missing.text)
    return theirs.status_code


def test_every_route_is_listed(monkeypatch):
    """A new route cannot slip through unlisted."""
    from billing.app import create_app as billing_app
    from logistics.app import create_app as logistics_app

    monkeypatch.setenv("LOGISTICS_ENVIRONMENT", "development")
    monkeypatch.setenv("BILLING_ENVIRONMENT", "development")
    found = {f"{m.upper()} {p}" for p, ms in logistics_app().openapi()["paths"].items() for m in ms}
    found |= {f"billing {m.upper()} {p}" for p, ms in billing_app().openapi()["paths"].items() for m in ms
              if p.startswith("/invoice-specifications")}
    assert found == set(ROUTES), (sorted(found - set(ROUTES)), sorted(set(ROUTES) - found))


async def test_recipient_routes(world):
    c, me, theirs, mine = world.svc, world.p1, world.m2, world.m1
    rid = theirs["recipient"]["id"]
    for view in ("", "/aids", "/activities", "/consumables", "/deviations", "/returned", "/ordered", "/aid-list.pdf"):
        assert await same_as_missing(c, "GET", "/recipients/{id}" + view, rid, headers=me) == 404
        assert (await c.get(f"/recipients/{mine['recipient']['id']}{view}", headers=me)).status_code == 200, view
    assert await same_as_missing(c, "PATCH", "/recipients/{id}", rid, headers=me, json={"door_code": "1234"}) == 404
    assert (await c.patch(f"/recipients/{mine['recipient']['id']}", headers=me, json={"door_code": "1234"})).status_code == 200
    assert await same_as_missing(c, "POST", "/recipients/{id}/return-receipts", rid, headers=me,
                                 json={"individual_ids": [theirs["delivered"]["id"]]}) == 404
    assert await same_as_missing(c, "POST", "/recipients/{id}/cart", rid, headers=me) == 404
    # registering: a look-up needs a reason; registering for another municipality's unit is refused, naming it
    number = invented_number()
    assert (await c.post("/recipients", headers=me, json={"kind": "patient", "personal_number": number})).status_code == 422
    other_unit = str(world.m2["order"]["service_unit_id"])
    refused = await c.post("/recipients", headers=me, json={"kind": "patient", "personal_number": number, "reason": "x-test",
                                                            "service_unit_id": other_unit})
    assert refused.status_code == 403 and other_unit in refused.json()["detail"]
    assert (await c.post("/recipients", headers=me, json={"kind": "patient", "personal_number": number, "reason": "förskrivning"})).status_code == 201


async def test_order_routes(world):
    c, me, theirs, mine = world.svc, world.p1, world.m2, world.m1
    order, cart, line = theirs["order"]["id"], theirs["cart"]["id"], theirs["line"]["id"]
    pdf = {"Content-Type": "application/pdf", "X-Filename": "a.pdf"}
    checks = [("POST", "/orders/{id}/lines", order, {"json": {"manual_text": "x", "comment": "y"}}),
              ("PATCH", "/orders/{id}", cart, {"json": {"comment": "x"}}),
              ("POST", "/orders/{id}/submit", cart, {}),
              ("POST", "/orders/{id}/cancel", order, {}),
              ("POST", "/orders/{id}/attachments", cart, {"content": PDF, "headers": me | pdf}),
              ("PUT", "/orders/{id}/lines/" + line + "/components", cart, {"json": {}}),
              ("POST", "/orders/{id}/lines/" + line + "/attachments", cart, {"content": PDF, "headers": me | pdf}),
              ("GET", "/orders/{id}/lines/" + line + "/components/search", cart, {"params": {"q": "abc"}}),
              ("DELETE", "/orders/{id}/lines/" + line, cart, {})]
    for method, path, real, kwargs in checks:
        assert await same_as_missing(c, method, path, real, **({"headers": me} | kwargs)) == 404, path
    own_cart, own_line = mine["cart"]["id"], mine["line"]["id"]
    assert (await c.get(f"/orders/{own_cart}/lines/{own_line}/components/search", headers=me, params={"q": "abc"})).status_code == 200
    assert (await c.put(f"/orders/{own_cart}/lines/{own_line}/components", headers=me, json={})).status_code == 200
    assert (await c.post(f"/orders/{own_cart}/attachments", headers=me | pdf, content=PDF)).status_code == 201
    assert (await c.post(f"/orders/{own_cart}/lines/{own_line}/attachments", headers=me | pdf, content=PDF)).status_code == 201
    assert (await c.patch(f"/orders/{own_cart}", headers=me, json={"comment": "Ring före"})).status_code == 200
    added = await c.post(f"/orders/{own_cart}/lines", headers=me, json={"manual_text": "Specialkudde", "comment": "saknas"})
    manual = added.json()["lines"][-1]["id"]
    assert (await c.delete(f"/orders/{own_cart}/lines/{manual}", headers=me)).status_code == 204
    # the case number of another municipality's order answers as a missing one
    assert (await c.get(f"/orders/by-case-number/{theirs['order']['case_number']}", headers=me)).status_code == 404
    assert (await c.get(f"/orders/by-case-number/{mine['order']['case_number']}", headers=me)).status_code == 200
    # aid-centre staff of the region deliver both municipalities' orders; a prescriber delivers none
    assert (await c.post(f"/orders/{mine['order']['id']}/delivery", headers=me)).status_code == 403
    assert (await c.post(f"/orders/{theirs['order']['id']}/delivery", headers=world.aid_centre)).status_code == 200
    assert (await c.post(f"/orders/{mine['order']['id']}/delivery", headers=world.aid_centre)).status_code == 200
    submitted = await c.post(f"/orders/{own_cart}/submit", headers=me)
    assert submitted.status_code == 200
    assert (await c.post(f"/orders/{own_cart}/cancel", headers=me)).status_code == 200


async def test_activity_pickup_deviation_and_search_routes(world):
    c, me, theirs, mine = world.svc, world.p1, world.m2, world.m1
    pdf = {"Content-Type": "application/pdf", "X-Filename": "a.pdf"}
    assert await same_as_missing(c, "GET", "/activities/{id}", theirs["activity"]["id"], headers=me) == 404
    assert (await c.get(f"/activities/{mine['activity']['id']}", headers=me)).status_code == 200
    assert await same_as_missing(c, "POST", "/activities/{id}/attachments", theirs["activity"]["id"], headers=me | pdf, content=PDF) == 404
    assert (await c.post(f"/activities/{mine['activity']['id']}/attachments", headers=me | pdf, content=PDF)).status_code == 201
    assert (await c.post(f"/activities/{mine['activity']['id']}/close", headers=me, json={"work_done": "bytt"})).status_code == 403
    assert (await c.post(f"/activities/{theirs['activity']['id']}/close", headers=world.aid_centre,
                         json={"work_done": "bytt"})).status_code == 200
    assert await same_as_missing(c, "GET", "/pickups/{id}.pdf", theirs["pickup"]["id"], headers=me) == 404
    assert (await c.get(f"/pickups/{mine['pickup']['id']}.pdf", headers=me)).status_code == 200
    assert (await c.post(f"/pickups/{theirs['pickup']['id']}/done", headers=world.aid_centre)).status_code == 200
    # another municipality's holding named on a pickup of one's own recipient: as a holding that does not exist
    answers = [await c.post("/pickups", headers=me, json={"recipient_id": mine["recipient"]["id"], "reason": "aid_centre",
                                                           "articles": [{"holding_id": holding}]})
               for holding in (theirs["holding"]["holding_id"], str(uuid.uuid4()))]
    assert [a.status_code for a in answers] == [422, 422] and answers[0].json()["type"] == answers[1].json()["type"], [a.text for a in answers]
    # writes naming another municipality's recipient or order answer as a missing one
    rid = theirs["recipient"]["id"]
    for path, body in (("/activities", {"activity_type": "repair", "recipient_id": "{id}", "description": "abc"}),
                       ("/activities", {"activity_type": "repair", "order_id": "{id}", "description": "abc"}),
                       ("/pickups", {"recipient_id": "{id}", "reason": "aid_centre", "articles": [{"article_id": mine["accessory"]}]}),
                       ("/deviations", {"event_type": "complaint", "category": "Leverans", "description": "abc", "recipient_id": "{id}"})):
        real = theirs["order"]["id"] if "order_id" in body else rid
        answers = [await c.post(path, headers=me, json={k: (who if v == "{id}" else v) for k, v in body.items()})
                   for who in (real, str(uuid.uuid4()))]
        assert [a.status_code for a in answers] == [404, 404], (path, [a.text for a in answers])
    # lists: only municipality 1's records
    for kind, record in (("orders", "order"), ("activities", "activity"), ("pickups", "pickup"), ("deviations", "deviation")):
        listed = {x["id"] for x in (await c.get(f"/search/{kind}", headers=me, params={"limit": 500})).json()}
        assert mine[record]["id"] in listed and theirs[record]["id"] not in listed, kind
        staff = {x["id"] for x in (await c.get(f"/search/{kind}", headers=world.aid_centre, params={"limit": 500})).json()}
        assert {mine[record]["id"], theirs[record]["id"]} <= staff, kind
        number = theirs[record]["case_number"]
        other, missing = await c.get(f"/search/case/{number}", headers=me), await c.get("/search/case/99999999", headers=me)
        assert other.status_code == missing.status_code == 404
        assert (await c.get(f"/search/case/{mine[record]['case_number']}", headers=me)).status_code == 200
    assert (await c.get(f"/search/case/{theirs['replenishment']['case_number']}", headers=me)).status_code == 404
    assert (await c.get(f"/search/case/{mine['replenishment']['case_number']}", headers=me)).status_code == 200


async def test_store_and_individual_routes(world):
    c, me, theirs, mine = world.svc, world.p1, world.m2, world.m1
    body = {"article_id": mine["b_aid"], "number": f"TN-{uuid.uuid4().hex[:8]}", "serial_number": "SN-2"}
    refused = await c.post("/individuals", headers=me, json=body | {"warehouse_code": "K1202"})
    assert refused.status_code == 403 and "K1202" in refused.json()["detail"]
    assert (await c.post("/individuals", headers=me, json=body | {"warehouse_code": "K1201"})).status_code == 201
    refused = await c.post("/warehouses/K1202/replenishments", headers=me, json={"lines": [{"article_id": mine["accessory"], "quantity": 1}]})
    assert refused.status_code == 403 and "K1202" in refused.json()["detail"]
    assert (await c.post(f"/replenishments/{theirs['replenishment']['id']}/receive", headers=me)).status_code == 403
    assert (await c.post(f"/replenishments/{theirs['replenishment']['id']}/receive", headers=world.aid_centre)).status_code == 200
    # withdrawals: delivering from another's store, an own-store line from it
    refused = await c.post(f"/individuals/{theirs['in_stock']['id']}/delivery", headers=me, json={"recipient_id": mine["recipient"]["id"]})
    assert refused.status_code == 403 and "own stores" in refused.json()["detail"]
    extra = await c.post("/individuals", headers=me, json=body | {"number": f"TN-{uuid.uuid4().hex[:8]}", "warehouse_code": "K1201"})
    assert (await c.post(f"/individuals/{extra.json()['id']}/delivery", headers=me,
                         json={"recipient_id": theirs["recipient"]["id"]})).status_code == 404
    cart = (await c.post(f"/recipients/{mine['recipient']['id']}/cart", headers=me)).json()
    refused = await c.post(f"/orders/{cart['id']}/lines", headers=me, json={"article_id": mine["accessory"], "warehouse_code": "K1202",
                                                                           "source": "own_store"})
    assert refused.status_code == 403 and "K1202" in refused.json()["detail"]
    # an individual with another municipality's recipient is not found; one in a store is (stock is shared)
    assert await same_as_missing(c, "GET", "/individuals/{id}", theirs["delivered"]["id"], headers=me) == 404
    own = await c.get(f"/individuals/{mine['delivered']['id']}", headers=me)
    assert own.status_code == 200 and mine["recipient"]["id"] in {e["recipient_id"] for e in own.json()["history"]}
    # municipality 2's individual still in its store is seen (stock is shared), its history names no recipient of theirs
    seen = (await c.get(f"/individuals/{theirs['in_stock']['id']}", headers=me)).json()
    assert seen["history"] and all(e["recipient_id"] is None for e in seen["history"])
    hits = (await c.get("/individuals/search", headers=me, params={"q": theirs["delivered"]["number"]})).json()
    assert hits["exact"] is None and hits["hits"] == []
    assert (await c.get("/individuals/search", headers=me, params={"q": mine["delivered"]["number"]})).json()["exact"]
    renumber = {"number": f"TN-{uuid.uuid4().hex[:8]}", "confirm": True}
    refused = await c.post(f"/individuals/{theirs['in_stock']['id']}/number", headers=me, json=renumber)
    assert refused.status_code == 403 and "K1202" in refused.json()["detail"]
    assert (await c.post(f"/individuals/{mine['in_stock']['id']}/number", headers=me, json=renumber)).status_code == 200
    # returns: to another's store, or of another's recipient
    back = {"recipient_id": mine["recipient"]["id"], "receipt_number": mine["receipt"], "individual_ids": [mine["delivered"]["id"]]}
    refused = await c.post("/returns", headers=me, json=back | {"warehouse_code": "K1202"})
    assert refused.status_code == 403 and "K1202" in refused.json()["detail"]
    theirs_back = {"recipient_id": theirs["recipient"]["id"], "receipt_number": theirs["receipt"],
                   "individual_ids": [theirs["delivered"]["id"]], "warehouse_code": "K1201"}
    assert (await c.post("/returns", headers=me, json=theirs_back)).status_code == 404
    assert (await c.post("/returns", headers=me, json=back | {"warehouse_code": "K1201"})).status_code == 200
    # settings: only granted units and stores
    unit_2 = theirs["order"]["service_unit_id"]
    refused = await c.put("/prescribers/me/settings", headers=me, json={"default_source": "aid_centre", "service_unit_id": unit_2})
    assert refused.status_code == 403 and unit_2 in refused.json()["detail"]
    assert (await c.put("/prescribers/me/settings", headers=me, json={"default_source": "aid_centre",
                                                                      "service_unit_id": mine["order"]["service_unit_id"]})).status_code == 200


async def test_audit_routes_are_for_admins(world):
    c = world.svc
    for path in ("/admin/audit", "/admin/audit/verify"):
        assert (await c.get(path, headers=world.p1)).status_code == 403
        assert (await c.get(path, headers=world.aid_centre)).status_code == 403
        assert (await c.get(path, headers=world.admin)).status_code == 200


async def test_invoice_specification_routes(world):
    b = world.billing
    one, two = world.controllers

    async def specs(payer):
        found = (await b.get("/invoice-specifications", headers=world.aid_centre, params={"payer": payer})).json()
        return found or None

    spec_1, spec_2 = (await wait_for(lambda: specs("1201")))[0], (await wait_for(lambda: specs("1202")))[0]
    assert (await b.get("/invoice-specifications", headers=one, params={"payer": "1202"})).status_code == 403
    assert [s["id"] for s in (await b.get("/invoice-specifications", headers=two, params={"payer": "1202"})).json()] == [spec_2["id"]]
    assert (await b.get("/invoice-specifications", headers=world.p1, params={"payer": "1201"})).status_code == 403
    for suffix in ("", ".xlsx"):
        assert await same_as_missing(b, "GET", "/invoice-specifications/{id}" + suffix, spec_2["id"], headers=one) == 404
        assert (await b.get(f"/invoice-specifications/{spec_1['id']}{suffix}", headers=one)).status_code == 200
        assert (await b.get(f"/invoice-specifications/{spec_2['id']}{suffix}", headers=two)).status_code == 200
    assert (await b.post("/invoice-specifications/rent-runs", headers=one, json={"month": "2026-01-01"})).status_code == 403
    assert (await b.post("/invoice-specifications/rent-runs", headers=world.aid_centre, json={"month": "2026-01-01"})).status_code == 200


async def test_a_revoked_grant_stops_counting(world):
    """The aid centre grants municipality 2's prescriber a unit of municipality 1, then takes it back."""
    c, platform = world.svc, world.platform
    me = world.p2
    unit = str(demo_id("unit.1b"))
    await platform.grant(world.aid_centre, "demo.prescriber2", "unit.1b", "prescriber")
    registered = await until(lambda: c.post("/recipients", headers=me, json={
        "kind": "patient", "personal_number": invented_number(), "reason": "förskrivning", "service_unit_id": unit}),
        status=201, what="the grant of unit.1b")
    recipient = registered.json()
    assert (await c.get(f"/recipients/{recipient['id']}", headers=me)).status_code == 200
    await platform.revoke(world.aid_centre, "demo.prescriber2", "unit.1b", "prescriber")
    gone = await until(lambda: c.get(f"/recipients/{recipient['id']}", headers=me), status=404, what="the revocation")
    assert gone.json()["type"] == "/problems/not-found"
    refused = await c.post(f"/recipients/{recipient['id']}/cart", headers=me)
    assert refused.status_code == 404
