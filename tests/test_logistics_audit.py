"""The audit of personal data in logistics (HSLF-FS 2016:40, issue #18 point 5), with real servers: a look-up
in the population register needs a reason and is audited with it; reads of a recipient (profile, aids,
history) and printouts are audited; a refused read too; an admin reads the rows (who, what, when, why) and
the chain check passes. Through the gateway, signed in as kit.demo's prescribers of municipality 1 and 2
(SITHS development certificates) and the admin (password + SMS code)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kit.demo import demo_id
from logistics.testing import running_platform

PERSONAL_NUMBER = "194202021236"  # invented, valid check digit


@pytest.fixture(scope="module")
async def platform(test_env):
    async with running_platform(test_env, "audit", billing=False) as platform:
        yield platform


async def test_reads_look_ups_and_printouts_are_audited_and_the_chain_holds(platform):
    logistics = platform.logistics
    one, two = demo_id("demo.prescriber"), demo_id("demo.prescriber2")
    me, other = await platform.person("demo.prescriber"), await platform.person("demo.prescriber2")
    admin = await platform.person("demo.admin")
    started = datetime.now(UTC) - timedelta(seconds=5)

    no_reason = await logistics.post("/recipients", headers=me, json={"kind": "patient", "personal_number": PERSONAL_NUMBER})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    added = await logistics.post("/recipients", headers=me, json={"kind": "patient", "personal_number": PERSONAL_NUMBER,
                                                                   "reason": "Ny förskrivning av rollator"})
    assert added.status_code == 201
    recipient = added.json()["id"]
    assert (await logistics.get(f"/recipients/{recipient}", headers=me)).status_code == 200
    assert (await logistics.get(f"/recipients/{recipient}/aids", headers=me)).status_code == 200
    assert (await logistics.get(f"/recipients/{recipient}/activities", headers=me)).status_code == 200
    assert (await logistics.get(f"/recipients/{recipient}/aid-list.pdf", headers=me)).status_code == 200
    # the other municipality's prescriber: refused, and the attempt is a row too
    assert (await logistics.get(f"/recipients/{recipient}", headers=other)).status_code == 404

    assert (await logistics.get("/admin/audit", headers=me)).status_code == 403
    rows = (await logistics.get("/admin/audit", headers=admin, params={"subject_id": recipient})).json()
    seen = [(r["actor_id"], r["action"], r["target"], r["allowed"], r["reason"], r["organisation"]) for r in reversed(rows)]
    assert seen == [
        (str(one), "population register look-up", "19420202-****", True, "Ny förskrivning av rollator", "1201"),
        (str(one), "read recipient", None, True, None, "1201"),
        (str(one), "read recipient aids", None, True, None, "1201"),
        (str(one), "read recipient history", "activities", True, None, "1201"),
        (str(one), "print aid list", "current", True, None, "1201"),
        (str(two), "read recipient", str(recipient), False, None, "1202"),
    ]
    assert all(started <= datetime.fromisoformat(r["at"]) <= datetime.now(UTC) for r in rows)
    look_ups = (await logistics.get("/admin/audit", headers=admin, params={"action": "population register look-up",
                                                                             "actor_id": str(one)})).json()
    assert [r["reason"] for r in look_ups] == ["Ny förskrivning av rollator"]
    check = (await logistics.get("/admin/audit/verify", headers=admin)).json()
    assert check["valid"] is True and check["rows"] >= len(rows) and check["retention_from"]
