"""The journal on the shared platform, each person signed in through the gateway as they do (#19): only the
author reads a note; the consent flow with its three emails, refusal (audited) before approval and after
withdrawal; administrative notes that are edited. A client is on a therapist's list because they booked and
paid a session with them (BK-15); therapists are new ones the demo admin authorises, clients sign in with
BankID and add an email. (The journal at rest, a tampered note, a deleted audit row and key rotation play the
database owner on purpose: tests/test_journal_at_rest.py.)"""

from __future__ import annotations

import pytest
from flows import B, book_and_pay, fresh_therapist, new_slot, unique, valid_personal_number
from people import Person, ok, wait_for

SECRET_TEXT = "Klienten berättar om sömnsvårigheter sedan i våras."


@pytest.fixture(scope="module")
def admin(platform):
    return platform.sign_in("demo.admin")


def new_client(platform, *, email: bool = False) -> Person:
    client = platform.person("client").bankid(valid_personal_number(1975), "Test Klient")
    if email:
        client.add_email(f"{unique('klient')}@example.org")
    return client


def therapist_of(platform, admin, client: Person, name: str, days: int = 3) -> tuple[Person, str]:
    """A new therapist whom ``client`` books and pays a session with: the client is on their list."""
    therapist, email = fresh_therapist(platform, admin, name=name)
    book_and_pay(client, new_slot(therapist, days=days)["id"])
    wait_for(lambda: client.id in {r["client_id"] for r in ok(therapist.get(f"{B}/clients"))}, what="the client on the list")
    return therapist, email


def test_only_the_author_reads_a_note(platform, admin):
    client = new_client(platform)
    author, _ = therapist_of(platform, admin, client, "Test Författare")
    colleague, _ = therapist_of(platform, admin, client, "Test Kollega", days=4)
    ok(author.post(f"{B}/clients/{client.id}/notes", json={"text": SECRET_TEXT}), 201)
    assert [n["text"] for n in ok(author.get(f"{B}/clients/{client.id}/notes"))] == [SECRET_TEXT]
    assert ok(colleague.get(f"{B}/clients/{client.id}/notes")) == []  # no consent: nothing


def test_consent_flow_with_its_three_emails_and_withdrawal(platform, admin):
    client = new_client(platform, email=True)
    client_email = client.me["email"]
    earlier, _ = therapist_of(platform, admin, client, "Test Tidigare")
    later, later_email = therapist_of(platform, admin, client, "Test Senare", days=4)
    ok(earlier.post(f"{B}/clients/{client.id}/notes", json={"text": SECRET_TEXT}), 201)

    found = ok(later.get(f"{B}/clients/{client.id}/earlier-therapists"))
    assert [(t["therapist_id"], t["name"], t["notes"]) for t in found] == [(earlier.id, "Test Tidigare", 1)]
    assert "text" not in found[0]  # whom to ask, never what they wrote
    stranger, _ = fresh_therapist(platform, admin, name="Test Främling")
    assert stranger.get(f"{B}/clients/{client.id}/earlier-therapists").status_code == 404
    asked = ok(later.post(f"{B}/clients/{client.id}/consents", json={"earlier_therapists": [earlier.id]}), 201)
    assert (asked["status"], asked["requester_id"], asked["earlier_therapists"]) == ("pending", later.id, [earlier.id])
    assert asked["requested_at"] and asked["answered_at"] is None  # the whole request, not nulls
    to_client = platform.mail(client_email, "ber om att få läsa")
    platform.mail(later_email, "förfrågan är skickad")
    assert ok(later.get(f"{B}/clients/{client.id}/notes")) == []  # before approval

    def withheld():  # the attempt is audited, as the admin reads the journal's audit
        rows = ok(admin.get(f"{B}/admin/journal/audit", params={"subject_id": client.id}))
        return [(r["actor_id"], r["action"]) for r in rows if r["action"].startswith("note withheld")] or None

    assert wait_for(withheld, what="the withheld read audited") == [(later.id, "note withheld: no consent")]

    token = platform.token_in(platform.links(to_client)[0])
    anyone = platform.person("the client's browser")
    assert anyone.post(f"{B}/consents/forged-token/answer", json={"approve": True}).status_code == 404
    answered = ok(anyone.post(f"{B}/consents/{token}/answer", json={"approve": True}))
    assert (answered["status"], answered["requester_id"], answered["earlier_therapists"]) == ("approved", later.id, [earlier.id])
    assert answered["requested_at"] == asked["requested_at"] and answered["answered_at"]
    assert anyone.post(f"{B}/consents/{token}/answer", json={"approve": True}).status_code == 409  # reused link
    assert "godkänt" in platform.mail(later_email, "har svarat")["body"]
    assert [n["text"] for n in ok(later.get(f"{B}/clients/{client.id}/notes"))] == [SECRET_TEXT]
    ok(earlier.post(f"{B}/clients/{client.id}/notes", json={"text": "skriven efter godkännandet"}), 201)
    assert [n["text"] for n in ok(later.get(f"{B}/clients/{client.id}/notes"))] == [SECRET_TEXT]

    mine = ok(client.get(f"{B}/clients/me/consents"))
    assert [(c["status"], c["earlier_therapists"]) for c in mine] == [("approved", [earlier.id])]
    withdrawn = ok(client.post(f"{B}/consents/{mine[0]['id']}/withdraw"))
    assert withdrawn["status"] == "withdrawn" and withdrawn["requester_id"] == later.id
    assert ok(later.get(f"{B}/clients/{client.id}/notes")) == []  # after withdrawal


def test_administrative_notes_are_edited_by_their_author_only(platform, admin):
    client = new_client(platform)
    author, _ = therapist_of(platform, admin, client, "Test Grupp")
    note = ok(author.post(f"{B}/clients/{client.id}/notes", json={"text": "Gruppnotat v1", "kind": "administrative"}), 201)
    assert ok(author.put(f"{B}/notes/{note['id']}", json={"text": "Gruppnotat v2"}))["version"] == 2
    assert [n["text"] for n in ok(author.get(f"{B}/clients/{client.id}/notes")) if n["id"] == note["id"]] == ["Gruppnotat v2"]
    other, _ = fresh_therapist(platform, admin, name="Test Annan")
    assert other.put(f"{B}/notes/{note['id']}", json={"text": "x"}).status_code == 404
