"""Invoice specifications for the aid logistics (BL-8) with real servers: logistics delivers an order,
billing consumes the delivery and files its purchased lines per payer, month and type (from the aid
centre, from another municipality, internal), found by payer and period or by our reference, and
downloadable as Excel. Through the gateway, signed in as kit.demo's prescribers, controllers and aid-centre
staff (SITHS development certificates); the aid centre grants a prescriber a second store through /directory."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from billing.specifications.scheduler import run_rent
from kit.demo import demo_id
from kit.testing import fetch, wait_for
from logistics.testing import running_platform, until


async def controller(platform, username: str, payer: str) -> dict:
    """A municipality's controller signed in, once billing's copy of the directory lets them read ``payer``'s."""
    me = await platform.person(username)
    await until(lambda: platform.billing.get("/invoice-specifications", headers=me, params={"payer": payer}),
                what=f"{username}'s grant in billing")
    return me


@pytest.fixture(scope="module")
async def services(test_env):
    """The platform, and the region's aid-centre staff signed in (their grant seen by logistics and billing)."""
    async with running_platform(test_env, "specs") as platform:
        staff = platform.aid_centre = await platform.person("demo.aidcentre")
        for payer in ("1201", "1202"):
            await until(lambda p=payer: platform.billing.get("/invoice-specifications", headers=staff, params={"payer": p}),
                        what="the aid centre's grant in billing")
        yield platform


async def purchased_article(svc, exclude: set) -> tuple[uuid.UUID, int]:
    row = (await fetch(svc.settings, "SELECT id, new_price_minor FROM articles WHERE debit_form = 'purchase' AND NOT individual_tracked "
                                     "AND expires_on IS NULL AND NOT (id = ANY($1::uuid[])) ORDER BY number LIMIT 1", list(exclude)))[0]
    return row["id"], row["new_price_minor"]


async def test_a_delivered_order_becomes_specifications_per_type(services):
    platform = svc = services
    logistics, billing, service = platform.logistics, platform.billing, platform.logistics_service
    # a prescriber of municipality 1, store keeper of its store and (to buy from another municipality), granted by
    # the aid centre, of K1202
    await platform.grant(svc.aid_centre, "demo.prescriber", "store.2", "store_keeper")
    me = await platform.first_login("demo.prescriber", own_stores=["K1201", "K1202"])
    controller_1 = await controller(platform, "demo.controller", "1201")
    controller_2 = await controller(platform, "demo.controller2", "1202")
    recipient = (await logistics.post("/recipients", headers=me, json={"kind": "patient", "personal_number": "19400101-0026", "reason": "ny förskrivning"})).json()
    chosen: set = set()
    lines = []
    for warehouse, source, quantity in (("100", "aid_centre", 2), ("K1201", "own_store", 1), ("K1202", "own_store", 3)):
        article, price = await purchased_article(service, chosen)
        chosen.add(article)
        await fetch(service.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ($1, $2, 10, 0) "
                                        "ON CONFLICT (warehouse_code, article_id) DO UPDATE SET quantity = 10, reserved = 0", warehouse, article)
        lines.append((article, price, quantity, warehouse, source))
    rented = (await fetch(service.settings, "SELECT id FROM articles WHERE debit_form = 'rent' AND NOT individual_tracked LIMIT 1"))[0]["id"]
    await fetch(service.settings, "UPDATE stock_balances SET quantity = 5 WHERE warehouse_code = '100' AND article_id = $1", rented)
    await fetch(service.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ('100', $1, 5, 0) "
                                    "ON CONFLICT DO NOTHING", rented)

    cart = (await logistics.post(f"/recipients/{recipient['id']}/cart", headers=me)).json()
    for article, _, quantity, warehouse, source in lines:
        added = await logistics.post(f"/orders/{cart['id']}/lines", headers=me, json={
            "article_id": str(article), "quantity": quantity, "warehouse_code": warehouse, "source": source})
        assert added.status_code == 201, added.text
    assert (await logistics.post(f"/orders/{cart['id']}/lines", headers=me,
                                        json={"article_id": str(rented), "warehouse_code": "100"})).status_code == 201
    reference = f"REF-{uuid.uuid4().hex[:6]}"
    await logistics.patch(f"/orders/{cart['id']}", headers=me, json={"our_reference": reference})
    submitted = (await logistics.post(f"/orders/{cart['id']}/submit", headers=me)).json()
    # the aid centre delivers (once logistics' copy of the directory has their region)
    await until(lambda: logistics.post(f"/orders/{cart['id']}/delivery", headers=svc.aid_centre), what="the aid centre's region")

    async def three():
        found = (await billing.get("/invoice-specifications", headers=svc.aid_centre, params={"payer": "1201"})).json()
        return found if len(found) == 3 else None

    specs = await wait_for(three, what="three invoice specifications in billing")
    by_kind = {s["kind"]: s for s in specs}
    assert set(by_kind) == {"aid_centre", "internal", "other_municipality"}
    assert by_kind["aid_centre"]["seller"] == "Hjälpmedelscentralen"
    assert by_kind["internal"]["seller"] == "1201"  # sellers and payers are municipality codes
    assert by_kind["other_municipality"]["seller"] == "1202"
    assert {(s["payer"], s["payer_name"], s["payer_id"]) for s in specs} == {("1201", "Exempelkommunen", str(demo_id("municipality.1")))}
    expected = {"aid_centre": lines[0], "internal": lines[1], "other_municipality": lines[2]}
    for kind, (_, price, quantity, _, _) in expected.items():
        assert (by_kind[kind]["lines"], by_kind[kind]["total_minor"]) == (1, price * quantity)  # the rented aid is not here
    month = datetime.now(UTC).strftime("%y%m")
    assert all(s["invoice_number"].startswith(month) and len(s["invoice_number"]) == 8 for s in specs)

    orderer, me = me, controller_1  # the municipality's controller reconciles them
    mine = (await billing.get("/invoice-specifications", headers=me, params={"our_reference": reference})).json()
    assert {s["id"] for s in mine} == {s["id"] for s in specs}
    by_id = (await billing.get("/invoice-specifications", headers=me, params={"payer": str(demo_id("municipality.1"))})).json()
    assert {s["id"] for s in by_id} == {s["id"] for s in specs}
    only_internal = (await billing.get("/invoice-specifications", headers=me,
                                              params={"payer": "1201", "kind": "internal"})).json()
    assert [s["kind"] for s in only_internal] == ["internal"]
    assert (await billing.get("/invoice-specifications", headers=me)).status_code == 422
    # the other municipality's controller sees none of them: by reference nothing, by payer a 403, by id not found
    assert (await billing.get("/invoice-specifications", headers=controller_2, params={"our_reference": reference})).json() == []
    refused = await billing.get("/invoice-specifications", headers=controller_2, params={"payer": "1201"})
    assert refused.status_code == 403 and "1201" in refused.json()["detail"]
    for path in (f"/invoice-specifications/{specs[0]['id']}", f"/invoice-specifications/{specs[0]['id']}.xlsx"):
        theirs, missing = (await billing.get(path, headers=controller_2)), (await billing.get(
            path.replace(specs[0]["id"], str(uuid.uuid4())), headers=controller_2))
        assert theirs.status_code == missing.status_code == 404 and theirs.json()["type"] == missing.json()["type"]
    # a prescriber does not read invoice specifications at all
    assert (await billing.get("/invoice-specifications", headers=orderer, params={"payer": "1201"})).status_code == 403

    detail = (await billing.get(f"/invoice-specifications/{by_kind['other_municipality']['id']}", headers=me)).json()
    assert [(r["case_number"], r["quantity"], r["our_reference"]) for r in detail["rows"]] == [(submitted["case_number"], 3, reference)]
    sheet = load_workbook(io.BytesIO((await billing.get(
        f"/invoice-specifications/{by_kind['other_municipality']['id']}.xlsx", headers=me)).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert by_kind["other_municipality"]["invoice_number"] in rows[0][0] and "Köp från andra kommuner" in rows[0][0]
    assert rows[2][1] == submitted["case_number"] and rows[2][2] == "Köp" and rows[2][5] == 3
    assert rows[-1][0] == "Total" and rows[-1][7] == lines[2][1] * 3 / 100


async def test_rented_aids_are_invoiced_monthly_until_they_come_back(services):
    platform = svc = services
    logistics, billing, service = platform.logistics, platform.billing, platform.logistics_service
    orderer = await platform.first_login("demo.prescriber2", own_stores=[])
    me = await controller(platform, "demo.controller2", "1202")  # controller 2 reads payer 2's
    controller_1 = await controller(platform, "demo.controller", "1201")
    recipient = (await logistics.post("/recipients", headers=orderer, json={"kind": "patient", "personal_number": "19450101-9287", "reason": "ny förskrivning"})).json()
    bed = (await fetch(service.settings, "SELECT id, new_price_minor FROM articles WHERE debit_form = 'rent' AND individual_tracked "
                                           "AND expires_on IS NULL ORDER BY number LIMIT 1"))[0]
    number = f"HY-{uuid.uuid4().hex[:6]}"
    await fetch(service.settings, "INSERT INTO individuals (id, number, serial_number, article_id, status, stock_status, warehouse_code) "
                                    "VALUES (gen_random_uuid(), $1, $2, $3, 'in_stock', 'ready', '200')", number, f"SN-{number}", bed["id"])
    await fetch(service.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ('200', $1, 1, 0) "
                                    "ON CONFLICT (warehouse_code, article_id) DO UPDATE SET quantity = stock_balances.quantity + 1", bed["id"])
    cart = (await logistics.post(f"/recipients/{recipient['id']}/cart", headers=orderer)).json()
    assert (await logistics.post(f"/orders/{cart['id']}/lines", headers=orderer,
                                        json={"article_id": str(bed["id"]), "warehouse_code": "200"})).status_code == 201
    await logistics.post(f"/orders/{cart['id']}/submit", headers=orderer)
    delivered = (await logistics.post(f"/orders/{cart['id']}/delivery", headers=svc.aid_centre)).json()
    assert delivered["status"] == "delivered"

    today = datetime.now(UTC).date()

    async def rent_line():  # the billing process's monthly job, as its scheduler runs it
        await run_rent(platform.billing_service.app, datetime.now(UTC))
        specs = (await billing.get("/invoice-specifications", headers=me, params={"payer": "1202", "kind": "aid_centre"})).json()
        return specs or None

    (spec,) = await wait_for(rent_line, what="the month's rent on the aid centre's specification")
    rows = (await billing.get(f"/invoice-specifications/{spec['id']}", headers=me)).json()["rows"]
    assert (await billing.get(f"/invoice-specifications/{spec['id']}", headers=controller_1)).status_code == 404
    assert (await billing.get("/invoice-specifications", headers=controller_1, params={"payer": "1202"})).status_code == 403
    monthly = -(-bed["new_price_minor"] // platform.billing_service.settings.rent_months)
    assert [(r["line_kind"], r["article_number"].endswith(number), r["amount_minor"]) for r in rows] == [("rent", True, monthly)]
    again = await billing.post("/invoice-specifications/rent-runs", headers=svc.aid_centre, json={"month": today.isoformat()})
    assert again.json()["rent_lines"] == 0  # a second run, here by hand, adds nothing
    assert await run_rent(platform.billing_service.app, datetime.now(UTC)) == 0
    far = await billing.post("/invoice-specifications/rent-runs", headers=svc.aid_centre, json={"month": "9999-12-01"})
    assert far.status_code == 422 and "month" in far.json()["detail"]
    assert (await billing.post("/invoice-specifications/rent-runs", headers=me, json={"month": today.isoformat()})).status_code == 403

    individual = (await logistics.get("/individuals/search", headers=orderer, params={"q": number})).json()["exact"]
    pickup = (await logistics.post("/pickups", headers=orderer, json={"recipient_id": recipient["id"], "reason": "bed",
                                                                        "individual_ids": [individual["id"]]})).json()
    await logistics.post(f"/pickups/{pickup['id']}/done", headers=svc.aid_centre)

    async def ended():
        rows = await fetch(platform.billing_service.settings, "SELECT ended_on FROM rentals WHERE individual_number = $1", number)
        return rows and rows[0]["ended_on"]

    assert await wait_for(ended, what="the rental ended by the pickup") == today
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    await billing.post("/invoice-specifications/rent-runs", headers=svc.aid_centre, json={"month": following.isoformat()})
    later = (await billing.get("/invoice-specifications", headers=me, params={"payer": "1202", "start": following.isoformat()})).json()
    assert later == []  # back with the aid centre: no rent next month
