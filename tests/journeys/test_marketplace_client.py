"""The marketplace client (demo.mclient, BankID; demo.mclient2, invited, email + password + SMS code):
answers the questionnaire and gets matched therapists ranked with explanations (BK-8); books a free slot and
pays in advance (BK-15, BL-1) and gets the confirmation mail with the time in the therapist's time zone, the
reception address and the therapist's personal information (#19); cancels more than 24 h before and is
refunded in full (BK-17, BL-2). With fresh data: an invited client accepts the invitation from the mail's
link, gets the sign-in details by mail, signs in with the temporary password and the SMS code and chooses a
password (BK-11, GW-4)."""

from __future__ import annotations

import re

import pytest
from flows import ADDRESS, BL, DOOR_CODE, B, book_and_pay, fresh_therapist, new_slot, unique
from people import ok, wait_for

from kit import demo


@pytest.fixture(scope="module")
def client(platform):
    return platform.sign_in("demo.mclient")


def test_signs_in_with_bankid(client):
    assert client.me["roles"] == ["client"]


def test_answers_the_questionnaire_and_gets_ranked_matches(client):
    areas = ok(client.get(f"{B}/problem-areas"))
    reasons = ok(client.get(f"{B}/contact-reasons"))
    codes = [a["code"] if isinstance(a, dict) else a for a in areas]
    reason = reasons[0]["code"] if isinstance(reasons[0], dict) else reasons[0]
    ok(client.put(f"{B}/questionnaire", json={"scores": {code: 5 + i % 5 for i, code in enumerate(codes)},
                                              "contact_reason": reason}))
    matches = ok(client.get(f"{B}/matches"))
    assert matches["total"] >= 1 and matches["items"][0]["explanation"]
    scores = [m["score"] for m in matches["items"]]
    assert scores == sorted(scores, reverse=True)


def test_books_pays_gets_the_confirmation_and_cancels_for_a_full_refund(platform, client):
    therapist, therapist_email = fresh_therapist(platform, platform.sign_in("demo.admin"), name="Test Terapeut Bokad",
                                                 time_zone="Europe/Oslo")
    slot = new_slot(therapist, days=4, hour=10, video=False, on_site=True)
    email = f"{unique('klient')}@example.org"
    assert client.add_email(email)["email"] == email  # GW-11: a BankID-only client adds and verifies an email
    confirmed = book_and_pay(client, slot["id"])
    mail = platform.mail(email, "Bokningsbekräftelse")
    assert ADDRESS in mail["body"] and DOOR_CODE in mail["body"]
    assert re.search(r"Europe/Oslo|CES?T|\+0[12]:00|Oslo", mail["body"]), mail["body"]
    assert platform.mail(therapist_email, "Ny bokning")

    cancelled = ok(client.post(f"{B}/bookings/{confirmed['id']}/cancel"))
    assert cancelled["booking"]["status"] == "cancelled" and cancelled["refund"] is True
    payment = ok(client.get(f"{BL}/payments/by-booking/{confirmed['id']}"))

    def refunded():
        found = ok(client.get(f"{BL}/payments/{payment['id']}"))
        return found if found["status"] == "refunded" else None

    wait_for(refunded, what="the full refund")
    assert platform.mail(email, "Återbetalning")


def test_an_invited_client_accepts_signs_in_and_chooses_a_password(platform):
    inviter = platform.sign_in("demo.therapist2")
    email = f"{unique('inbjuden')}@example.org"
    ok(inviter.post(f"{B}/invitations", json={"email": email, "language": "sv"}), 201)
    invitation = platform.mail(email, "bjuder in dig")
    link = platform.links(invitation)[0]
    token = link.rstrip("/").rsplit("/", 1)[-1].split("?")[0].split("token=")[-1]
    ok(platform.person("invitee").http.post(f"{B}/invitations/{token}/accept", json={"display_name": "Test Inbjuden"}), 202)
    credentials = platform.mail(email, "Ditt konto")
    username = re.search(r"Användarnamn: (\S+)", credentials["body"])[1]
    temporary = re.search(r"Tillfälligt lösenord: (\S+)", credentials["body"])[1]
    person = platform.person("invited client")  # no phone yet: the login code comes by email
    person.password_login(username, temporary, None, email=email, new_password="Mitt-Eget-Losenord-7")
    assert person.me["must_change_password"] is False
    assert platform.mail(demo.BY_USERNAME["demo.therapist2"].email, "har använt din inbjudan")
