"""Invoice specifications for the aid logistics (BL-8) with real servers: logistics delivers an order,
billing consumes the delivery and files its purchased lines per payer, month and type (from the aid
centre, from another municipality, internal), found by payer and period or by our reference, and
downloadable as Excel."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from billing.app import build as build_billing
from billing.settings import Settings as BillingSettings
from billing.specifications.scheduler import run_rent
from kit.demo import demo_id
from kit.testing import fetch, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from logistics.settings import Settings as LogisticsSettings
from logistics.testing import aid_centre, grant, prescriber, publish_directory, running_logistics

KEY = TokenIssuer()


async def controller(billing, test_env, municipality: str) -> dict:
    """A controller of ``municipality`` (a kit.demo key), granted and seen by billing (stand-in grants: see
    logistics.testing)."""
    account = uuid.uuid4()
    await grant(test_env, account, (municipality, "controller"))

    async def seen():
        return (await fetch(billing.settings, "SELECT 1 FROM directory_memberships WHERE account_id = $1", account))

    await wait_for(seen, what="the controller's grant in billing")
    return KEY.headers(account, "controller", name="Test Kontrollant")


@pytest.fixture(scope="module")
async def services(test_env):
    logistics = test_env.settings(LogisticsSettings, database="logistics_specs", jwt_public_key=KEY.public_pem,
                                  partner_exchange=f"partner.logistics.{test_env.run_id}")
    billing = test_env.settings(BillingSettings, database="billing_specs", jwt_public_key=KEY.public_pem)
    async with running_logistics(test_env, logistics) as logistics_service, \
            running_service(build_billing(billing), test_env) as billing_service:
        await publish_directory(test_env)  # billing's copy too (its queue was not there when logistics published)

        async def organisations():
            return (await fetch(billing, "SELECT count(*) AS n FROM directory_organisations"))[0]["n"] >= 10

        await wait_for(organisations, what="the directory in billing")
        logistics_service.env = test_env
        logistics_service.aid_centre = await aid_centre(logistics_service, test_env, KEY)
        yield logistics_service, billing_service


async def purchased_article(svc, exclude: set) -> tuple[uuid.UUID, int]:
    row = (await fetch(svc.settings, "SELECT id, new_price_minor FROM articles WHERE debit_form = 'purchase' AND NOT individual_tracked "
                                     "AND expires_on IS NULL AND NOT (id = ANY($1::uuid[])) ORDER BY number LIMIT 1", list(exclude)))[0]
    return row["id"], row["new_price_minor"]


async def test_a_delivered_order_becomes_specifications_per_type(services):
    logistics, billing = services
    svc = logistics
    # a prescriber of municipality 1, store keeper of its store and (to buy from another municipality) of K1202
    me = await prescriber(logistics, logistics.env, KEY, units=("unit.1a",), stores=("store.1", "store.2"),
                          default_source="aid_centre")
    controller_1 = await controller(billing, logistics.env, "municipality.1")
    controller_2 = await controller(billing, logistics.env, "municipality.2")
    recipient = (await logistics.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": "19400101-0026", "reason": "ny förskrivning"})).json()
    chosen: set = set()
    lines = []
    for warehouse, source, quantity in (("100", "aid_centre", 2), ("K1201", "own_store", 1), ("K1202", "own_store", 3)):
        article, price = await purchased_article(logistics, chosen)
        chosen.add(article)
        await fetch(logistics.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ($1, $2, 10, 0) "
                                        "ON CONFLICT (warehouse_code, article_id) DO UPDATE SET quantity = 10, reserved = 0", warehouse, article)
        lines.append((article, price, quantity, warehouse, source))
    rented = (await fetch(logistics.settings, "SELECT id FROM articles WHERE debit_form = 'rent' AND NOT individual_tracked LIMIT 1"))[0]["id"]
    await fetch(logistics.settings, "UPDATE stock_balances SET quantity = 5 WHERE warehouse_code = '100' AND article_id = $1", rented)
    await fetch(logistics.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ('100', $1, 5, 0) "
                                    "ON CONFLICT DO NOTHING", rented)

    cart = (await logistics.client.post(f"/recipients/{recipient['id']}/cart", headers=me)).json()
    for article, _, quantity, warehouse, source in lines:
        added = await logistics.client.post(f"/orders/{cart['id']}/lines", headers=me, json={
            "article_id": str(article), "quantity": quantity, "warehouse_code": warehouse, "source": source})
        assert added.status_code == 201, added.text
    assert (await logistics.client.post(f"/orders/{cart['id']}/lines", headers=me,
                                        json={"article_id": str(rented), "warehouse_code": "100"})).status_code == 201
    reference = f"REF-{uuid.uuid4().hex[:6]}"
    await logistics.client.patch(f"/orders/{cart['id']}", headers=me, json={"our_reference": reference})
    submitted = (await logistics.client.post(f"/orders/{cart['id']}/submit", headers=me)).json()
    assert (await logistics.client.post(f"/orders/{cart['id']}/delivery", headers=svc.aid_centre)).status_code == 200

    async def three():
        found = (await billing.client.get("/invoice-specifications", headers=svc.aid_centre, params={"payer": "1201"})).json()
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
    mine = (await billing.client.get("/invoice-specifications", headers=me, params={"our_reference": reference})).json()
    assert {s["id"] for s in mine} == {s["id"] for s in specs}
    by_id = (await billing.client.get("/invoice-specifications", headers=me, params={"payer": str(demo_id("municipality.1"))})).json()
    assert {s["id"] for s in by_id} == {s["id"] for s in specs}
    only_internal = (await billing.client.get("/invoice-specifications", headers=me,
                                              params={"payer": "1201", "kind": "internal"})).json()
    assert [s["kind"] for s in only_internal] == ["internal"]
    assert (await billing.client.get("/invoice-specifications", headers=me)).status_code == 422
    # the other municipality's controller sees none of them: by reference nothing, by payer a 403, by id not found
    assert (await billing.client.get("/invoice-specifications", headers=controller_2, params={"our_reference": reference})).json() == []
    refused = await billing.client.get("/invoice-specifications", headers=controller_2, params={"payer": "1201"})
    assert refused.status_code == 403 and "1201" in refused.json()["detail"]
    for path in (f"/invoice-specifications/{specs[0]['id']}", f"/invoice-specifications/{specs[0]['id']}.xlsx"):
        theirs, missing = (await billing.client.get(path, headers=controller_2)), (await billing.client.get(
            path.replace(specs[0]["id"], str(uuid.uuid4())), headers=controller_2))
        assert theirs.status_code == missing.status_code == 404 and theirs.json()["type"] == missing.json()["type"]
    # a prescriber does not read invoice specifications at all
    assert (await billing.client.get("/invoice-specifications", headers=orderer, params={"payer": "1201"})).status_code == 403

    detail = (await billing.client.get(f"/invoice-specifications/{by_kind['other_municipality']['id']}", headers=me)).json()
    assert [(r["case_number"], r["quantity"], r["our_reference"]) for r in detail["rows"]] == [(submitted["case_number"], 3, reference)]
    sheet = load_workbook(io.BytesIO((await billing.client.get(
        f"/invoice-specifications/{by_kind['other_municipality']['id']}.xlsx", headers=me)).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert by_kind["other_municipality"]["invoice_number"] in rows[0][0] and "Köp från andra kommuner" in rows[0][0]
    assert rows[2][1] == submitted["case_number"] and rows[2][2] == "Köp" and rows[2][5] == 3
    assert rows[-1][0] == "Total" and rows[-1][7] == lines[2][1] * 3 / 100


async def test_rented_aids_are_invoiced_monthly_until_they_come_back(services):
    logistics, billing = services
    svc = logistics
    orderer = await prescriber(logistics, logistics.env, KEY, units=("unit.2a",), stores=())
    me = await controller(billing, logistics.env, "municipality.2")  # controller 2 reads payer 2's
    controller_1 = await controller(billing, logistics.env, "municipality.1")
    recipient = (await logistics.client.post("/recipients", headers=orderer, json={"kind": "patient", "personal_number": "19450101-9287", "reason": "ny förskrivning"})).json()
    bed = (await fetch(logistics.settings, "SELECT id, new_price_minor FROM articles WHERE debit_form = 'rent' AND individual_tracked "
                                           "AND expires_on IS NULL ORDER BY number LIMIT 1"))[0]
    number = f"HY-{uuid.uuid4().hex[:6]}"
    await fetch(logistics.settings, "INSERT INTO individuals (id, number, serial_number, article_id, status, stock_status, warehouse_code) "
                                    "VALUES (gen_random_uuid(), $1, $2, $3, 'in_stock', 'ready', '200')", number, f"SN-{number}", bed["id"])
    await fetch(logistics.settings, "INSERT INTO stock_balances (warehouse_code, article_id, quantity, reserved) VALUES ('200', $1, 1, 0) "
                                    "ON CONFLICT (warehouse_code, article_id) DO UPDATE SET quantity = stock_balances.quantity + 1", bed["id"])
    cart = (await logistics.client.post(f"/recipients/{recipient['id']}/cart", headers=orderer)).json()
    assert (await logistics.client.post(f"/orders/{cart['id']}/lines", headers=orderer,
                                        json={"article_id": str(bed["id"]), "warehouse_code": "200"})).status_code == 201
    await logistics.client.post(f"/orders/{cart['id']}/submit", headers=orderer)
    delivered = (await logistics.client.post(f"/orders/{cart['id']}/delivery", headers=svc.aid_centre)).json()
    assert delivered["status"] == "delivered"

    today = datetime.now(UTC).date()

    async def rent_line():  # the billing process's monthly job, as its scheduler runs it
        await run_rent(billing.app, datetime.now(UTC))
        specs = (await billing.client.get("/invoice-specifications", headers=me, params={"payer": "1202", "kind": "aid_centre"})).json()
        return specs or None

    (spec,) = await wait_for(rent_line, what="the month's rent on the aid centre's specification")
    rows = (await billing.client.get(f"/invoice-specifications/{spec['id']}", headers=me)).json()["rows"]
    assert (await billing.client.get(f"/invoice-specifications/{spec['id']}", headers=controller_1)).status_code == 404
    assert (await billing.client.get("/invoice-specifications", headers=controller_1, params={"payer": "1202"})).status_code == 403
    monthly = -(-bed["new_price_minor"] // billing.settings.rent_months)
    assert [(r["line_kind"], r["article_number"].endswith(number), r["amount_minor"]) for r in rows] == [("rent", True, monthly)]
    again = await billing.client.post("/invoice-specifications/rent-runs", headers=svc.aid_centre, json={"month": today.isoformat()})
    assert again.json()["rent_lines"] == 0  # a second run, here by hand, adds nothing
    assert await run_rent(billing.app, datetime.now(UTC)) == 0
    far = await billing.client.post("/invoice-specifications/rent-runs", headers=svc.aid_centre, json={"month": "9999-12-01"})
    assert far.status_code == 422 and "month" in far.json()["detail"]
    assert (await billing.client.post("/invoice-specifications/rent-runs", headers=me, json={"month": today.isoformat()})).status_code == 403

    individual = (await logistics.client.get("/individuals/search", headers=orderer, params={"q": number})).json()["exact"]
    pickup = (await logistics.client.post("/pickups", headers=orderer, json={"recipient_id": recipient["id"], "reason": "bed",
                                                                        "individual_ids": [individual["id"]]})).json()
    await logistics.client.post(f"/pickups/{pickup['id']}/done", headers=svc.aid_centre)

    async def ended():
        rows = await fetch(billing.settings, "SELECT ended_on FROM rentals WHERE individual_number = $1", number)
        return rows and rows[0]["ended_on"]

    assert await wait_for(ended, what="the rental ended by the pickup") == today
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    await billing.client.post("/invoice-specifications/rent-runs", headers=svc.aid_centre, json={"month": following.isoformat()})
    later = (await billing.client.get("/invoice-specifications", headers=me, params={"payer": "1202", "start": following.isoformat()})).json()
    assert later == []  # back with the aid centre: no rent next month
