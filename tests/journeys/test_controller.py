"""The controller (demo.controller of Exempelkommunen, a payer, the role "may reconcile invoices"): signs in
with the SITHS card (GW-2) and reads their municipality's invoice specifications (BL-8): per invoice period
and type, a line per delivery with the order's case number, downloadable as Excel, found by "our reference";
another municipality's specifications are refused (#18)."""

from __future__ import annotations

from flows import BL, LG, available_article, order_and_submit, prescriber_ready, register_recipient
from people import ok, wait_for

from kit import demo


def test_reads_the_specification_of_their_municipality_with_a_fresh_delivery(platform):
    prescriber = platform.sign_in("demo.prescriber")
    prescriber_ready(prescriber, "demo.prescriber")
    recipient = register_recipient(prescriber)
    submitted = order_and_submit(prescriber, recipient["id"], available_article(prescriber)["id"])
    ok(platform.sign_in("demo.aidcentre").post(f"{LG}/orders/{submitted['id']}/delivery"))

    controller = platform.sign_in("demo.controller")
    payer = demo.BY_KEY["municipality.1"].code  # the payer is the municipality, by its directory code

    def with_the_delivery():
        found = ok(controller.get(f"{BL}/invoice-specifications", params={"payer": payer}))
        for spec in found:
            detail = ok(controller.get(f"{BL}/invoice-specifications/{spec['id']}"))
            if submitted["case_number"] in {row["case_number"] for row in detail["rows"]}:
                return detail
        return None

    spec = wait_for(with_the_delivery, what="the delivery on the municipality's specification", timeout=30)
    assert spec["payer"] == payer and spec["total_minor"] > 0
    workbook = ok(controller.get(f"{BL}/invoice-specifications/{spec['id']}.xlsx"))
    assert workbook[:2] == b"PK"  # an xlsx is a zip
    reference = spec["rows"][0]["our_reference"]
    assert spec["id"] in [s["id"] for s in ok(controller.get(f"{BL}/invoice-specifications",
                                                             params={"our_reference": reference}))]


def test_another_municipalitys_specifications_are_refused(platform):
    mine = platform.sign_in("demo.controller")
    theirs = platform.sign_in("demo.controller2")
    other_payer = demo.BY_KEY["municipality.2"].code
    listed = mine.get(f"{BL}/invoice-specifications", params={"payer": other_payer})
    assert listed.status_code == 403 or listed.json() == []
    for spec in ok(theirs.get(f"{BL}/invoice-specifications", params={"payer": other_payer})):
        assert mine.get(f"{BL}/invoice-specifications/{spec['id']}").status_code in (403, 404)
