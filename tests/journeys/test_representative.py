"""The legal representative (demo.representative of two clients of Zorgveld Begeleiding): signs in with
username, password and the SMS code (GW-3), chooses which client's portal to open (GW-6), reads that
client's reports (PT-2) and profile (PT-4); in that session the other client's portal is refused, and a
client they do not represent cannot be chosen at all (PT-7, #18)."""

from __future__ import annotations

import pytest
from flows import PT
from people import ok, refused

from kit import demo


@pytest.fixture(scope="module")
def representative(platform):
    return platform.sign_in("demo.representative")


def represented(representative) -> dict[str, str]:
    return {c["display_name"]: c["id"] for c in representative.me["represents"]}


def test_chooses_among_the_two_clients_represented(representative):
    clients = represented(representative)
    expected = {demo.BY_USERNAME[u].display_name for u in demo.BY_USERNAME["demo.representative"].represents}
    assert set(clients) == expected
    for client_id in clients.values():
        assert representative.act_for(client_id).me["acting_for"] == client_id


def test_cannot_act_for_a_client_not_represented(representative):
    other = str(demo.demo_id("demo.client3"))  # Rivierzorg's client (its id with the directory seed)
    refused = representative.post("/identity/act-for", json={"client_id": other})
    assert refused.status_code == 403


def test_reads_a_report_of_the_chosen_client_and_only_theirs(representative):
    clients = represented(representative)
    first = clients[demo.BY_USERNAME["demo.client"].display_name]
    second = clients[demo.BY_USERNAME["demo.client2"].display_name]
    acting = representative.act_for(first)
    reports = ok(acting.get(f"{PT}/clients/{first}/reports"))
    assert reports and all(r["text"] for r in reports)
    assert ok(acting.get(f"{PT}/clients/{first}/profile"))["display_name"] == demo.BY_USERNAME["demo.client"].display_name
    written = ok(acting.post(f"{PT}/clients/{first}/reports", json={"text": "Bezoek gebracht, alles goed."}), 201)
    assert written["author_role"] == "representative"
    refused(acting.get(f"{PT}/clients/{second}/reports"))  # represented, but not this session's client
