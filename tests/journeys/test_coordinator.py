"""The care coordinator (demo.coordinator of Zorgveld Begeleiding): signs in with username, password and the
SMS code (GW-3); creates a portal account for a new client (PT-1), who receives the username and a
temporary password by mail, signs in with it and the SMS code, must choose a new password (GW-4) and accept
the terms (GW-5), and then sees the profile the organisation holds (PT-4); the coordinator writes a report
(PT-2) and publishes a support plan (PT-3) that the client downloads and approves; a representative made
for the client chooses them (GW-6, PT-7)."""

from __future__ import annotations

from flows import PT, coordinator_makes_client
from people import ok

from kit import demo

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CARE_1 = str(demo.BY_KEY["care.1"].id)

def test_signs_in_with_password_and_sms_code(platform):
    coordinator = platform.sign_in("demo.coordinator")
    assert coordinator.me["roles"] == ["care_coordinator"]


def test_creates_a_client_who_signs_in_changes_the_password_and_uses_the_portal(platform):
    coordinator = platform.sign_in("demo.coordinator")
    made = coordinator_makes_client(platform, coordinator, CARE_1)

    listed = str(ok(coordinator.get(f"{PT}/clients")))  # PT-7: the organisation's clients only
    assert made["id"] in listed and str(demo.demo_id("demo.client")) in listed
    assert str(demo.demo_id("demo.client3")) not in listed

    client = platform.person("new portal client")
    client.password_login(made["username"], made["temporary"], made["phone"], new_password="Mijn-Eigen-Wachtwoord-9")
    assert client.me["id"] == made["id"] and client.me["must_change_password"] is False
    profile = ok(client.get(f"{PT}/clients/{made['id']}/profile"))
    assert profile["address"] == "Teststraat 1, Amsterdam"

    ok(coordinator.post(f"{PT}/clients/{made['id']}/reports", json={"text": "Goede week gehad."}), 201)
    reports = ok(client.get(f"{PT}/clients/{made['id']}/reports"))
    assert [r["text"] for r in reports] == ["Goede week gehad."]
    plan = ok(coordinator.post(f"{PT}/clients/{made['id']}/plans", params={"title": "Ondersteuningsplan 2026"},
                               headers={"content-type": "application/pdf"}, content=PDF), 201)
    assert ok(client.get(f"{PT}/clients/{made['id']}/plans/{plan['id']}.pdf")) == PDF
    approved = ok(client.post(f"{PT}/clients/{made['id']}/plans/{plan['id']}/approve"))
    assert approved["approved_by"] == made["id"]

    # the old, temporary password no longer opens the account
    refused = platform.person("someone with the old mail").http.post(
        "/identity/password/login", json={"username": made["username"], "password": made["temporary"]})
    assert refused.status_code == 401


def test_a_representative_made_for_the_client_opens_their_portal(platform):
    coordinator = platform.sign_in("demo.coordinator")
    client = coordinator_makes_client(platform, coordinator, CARE_1)
    rep = coordinator_makes_client(platform, coordinator, CARE_1, roles=("representative",), represents=[client["id"]])
    representative = platform.person("new representative")
    representative.password_login(rep["username"], rep["temporary"], rep["phone"])
    assert [c["id"] for c in representative.me["represents"]] == [client["id"]]
    acting = representative.act_for(client["id"])
    assert ok(acting.get(f"{PT}/clients/{client['id']}/profile"))["address"]


def test_cannot_link_a_client_of_another_organisation(platform):
    coordinator = platform.sign_in("demo.coordinator")
    other = str(demo.demo_id("demo.client3"))  # Rivierzorg's client
    refused = coordinator.post("/identity/accounts", json={
        "display_name": "Test Vertegenwoordiger Fout", "roles": ["representative"], "email": "fout@example.org",
        "phone": "+46700009999", "username": "rep.wrong.org", "represents": [other], "organisation_id": CARE_1})
    assert refused.status_code == 403 and "organisation" in refused.json()["detail"], refused.text
