"""The platform admin (demo.admin): signs in with username, password and the SMS code (GW-3, #19: the demo
admin gets a phone); authorises a newly registered therapist's application (BK-2) after which the therapist
is emailed and publishes a profile and a slot the public sees (BK-4, BK-21); reads the delivery log (NT-4)
and checks the audit chains (#18: kit.audit's admin query per service)."""

from __future__ import annotations

import pytest
from flows import B, fresh_therapist, new_slot
from people import ok


@pytest.fixture(scope="module")
def admin(platform):
    return platform.sign_in("demo.admin")


def test_signs_in_with_password_and_sms_code(admin):
    assert "admin" in admin.me["roles"]


def test_authorises_a_new_therapist_who_then_publishes_a_profile_and_a_slot(platform, admin):
    therapist, _ = fresh_therapist(platform, admin, name="Test Terapeut Godkänd")
    slot = new_slot(therapist, days=5)
    public = ok(platform.person("anyone").http.get(f"{B}/therapists/{therapist.id}/public"))
    assert set(public) == {"id", "name", "title", "presentation", "reception_address", "fee_minor", "currency"}
    assert public["title"] == "Leg. psykolog"
    slots = ok(platform.sign_in("demo.mclient").get(f"{B}/therapists/{therapist.id}/slots"))  # a client looks
    items = slots["items"] if isinstance(slots, dict) else slots
    assert slot["id"] in [s["id"] for s in items]


def test_reads_the_delivery_log_and_the_audit_chains_hold(admin):
    log = ok(admin.get("/api/notify/deliveries", params={"limit": 50}))
    assert all(d["status"] in {"queued", "sent", "failed", "replaced"} for d in log)
    assert ok(admin.get(f"{B}/admin/journal/audit/verify"))["valid"] is True
    for service in ("logistics", "portal"):
        verified = ok(admin.get(f"/api/{service}/admin/audit/verify"))  # kit.audit.admin_router
        assert verified["valid"] is True, (service, verified)
