"""The audit of personal data in logistics (HSLF-FS 2016:40, issue #18 point 5), with real servers: a look-up
in the population register needs a reason and is audited with it; reads of a recipient (profile, aids,
history) and printouts are audited; a refused read too; an admin reads the rows (who, what, when, why) and
the chain check passes. (Grants are the stand-in directory events of logistics.testing.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from kit.testing.tokens import TokenIssuer
from logistics.settings import Settings as LogisticsSettings
from logistics.testing import prescriber, running_logistics

KEY = TokenIssuer()
PERSONAL_NUMBER = "194202021236"  # invented, valid check digit


@pytest.fixture(scope="module")
async def logistics(test_env):
    settings = test_env.settings(LogisticsSettings, database="logistics_audit", jwt_public_key=KEY.public_pem,
                                 partner_exchange=f"partner.logistics.{test_env.run_id}")
    async with running_logistics(test_env, settings) as service:
        service.env = test_env
        yield service


async def test_reads_look_ups_and_printouts_are_audited_and_the_chain_holds(logistics):
    svc = logistics
    one, two = uuid.uuid4(), uuid.uuid4()
    me = await prescriber(svc, svc.env, KEY, account_id=one, units=("unit.1a",), stores=())
    other = await prescriber(svc, svc.env, KEY, account_id=two, units=("unit.2a",), stores=())
    admin = KEY.headers(uuid.uuid4(), "admin")
    started = datetime.now(UTC) - timedelta(seconds=5)

    no_reason = await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": PERSONAL_NUMBER})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    added = await svc.client.post("/recipients", headers=me, json={"kind": "patient", "personal_number": PERSONAL_NUMBER,
                                                                   "reason": "Ny förskrivning av rollator"})
    assert added.status_code == 201
    recipient = added.json()["id"]
    assert (await svc.client.get(f"/recipients/{recipient}", headers=me)).status_code == 200
    assert (await svc.client.get(f"/recipients/{recipient}/aids", headers=me)).status_code == 200
    assert (await svc.client.get(f"/recipients/{recipient}/activities", headers=me)).status_code == 200
    assert (await svc.client.get(f"/recipients/{recipient}/aid-list.pdf", headers=me)).status_code == 200
    # the other municipality's prescriber: refused, and the attempt is a row too
    assert (await svc.client.get(f"/recipients/{recipient}", headers=other)).status_code == 404

    assert (await svc.client.get("/admin/audit", headers=me)).status_code == 403
    rows = (await svc.client.get("/admin/audit", headers=admin, params={"subject_id": recipient})).json()
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
    look_ups = (await svc.client.get("/admin/audit", headers=admin, params={"action": "population register look-up",
                                                                             "actor_id": str(one)})).json()
    assert [r["reason"] for r in look_ups] == ["Ny förskrivning av rollator"]
    check = (await svc.client.get("/admin/audit/verify", headers=admin)).json()
    assert check["valid"] is True and check["rows"] >= len(rows) and check["retention_from"]
