"""Booking I on the shared platform, each person signed in through the gateway as they do (#19): applications
and review with the authorisation or rejection email, profiles and what the public sees, the weight cap,
matching with explanations, invitations that become accounts, and accounts therapists create. Therapists sign
up with email and password and the demo admin reviews them (flows.fresh_therapist); clients sign in with
BankID. (What the journeys already walk, the admin authorising a new therapist and the public profile's
fields, an invited client signing in, is theirs.)"""

from __future__ import annotations

import pytest
from flows import AGREEMENT, B, fresh_therapist, new_phone, unique, valid_personal_number
from people import Person, ok, wait_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def admin(platform):
    return platform.sign_in("demo.admin")


def applicant(platform, name: str, licence: str) -> tuple[Person, str]:
    """BK-1: someone signs up with email and password and applies with ``licence``; returns them and the email."""
    email = f"{unique('sokande')}@example.org"
    ok(platform.person(name).http.post("/identity/register", json={"display_name": name, "email": email, "phone": new_phone(),
                                                                    "password": "Sokande-Losen-2026!", "language": "sv"}), 202)
    me = platform.person(name).email_login(email, "Sokande-Losen-2026!")
    applied = ok(me.post(f"{B}/therapists/application", json={"name": name, "email": email, "licence_number": licence,
                                                               "agreement_version": AGREEMENT}), 201)
    assert applied["status"] == "pending"
    return me, email


def bankid_client(platform, name: str = "Test Klient") -> Person:
    return platform.person(name).bankid(valid_personal_number(1985), name)


def test_application_review_and_the_authorisation_email(platform, admin):
    me, email = applicant(platform, "Test Sökande", "psy-100001")  # the licence number in any case
    waiting = me.get(f"{B}/therapists/me/profile")
    assert waiting.status_code == 403 and waiting.json()["type"] == "/problems/application-pending"
    assert ok(me.get(f"{B}/therapists/application"))["status"] == "pending"
    assert me.id in [a["id"] for a in ok(admin.get(f"{B}/admin/applications"))]
    assert me.get(f"{B}/admin/applications").status_code == 403
    reviewed = ok(admin.post(f"{B}/admin/applications/{me.id}/review", json={"decision": "authorise"}))
    assert reviewed["status"] == "authorised"
    assert platform.mail(email, "godkänt")["subject"] == "Ditt terapeutkonto är godkänt"
    assert me.get(f"{B}/therapists/me/profile").status_code == 200


def test_an_invalid_licence_cannot_be_authorised_and_a_rejection_is_emailed(platform, admin):
    me, email = applicant(platform, "Test Ogiltig", "PSY-100003")  # withdrawn in the development licence register
    refused = admin.post(f"{B}/admin/applications/{me.id}/review", json={"decision": "authorise"})
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/licence-not-valid"
    rejected = ok(admin.post(f"{B}/admin/applications/{me.id}/review",
                             json={"decision": "reject", "note": "legitimationen är indragen"}))
    assert rejected["status"] == "rejected"
    told = me.get(f"{B}/therapists/me/profile")
    assert told.status_code == 403 and told.json()["type"] == "/problems/application-rejected"
    assert "rejected" in told.json()["detail"] and "not authorised yet" not in told.json()["detail"]
    assert "legitimationen är indragen" in platform.mail(email, "ansökan")["body"]


def test_profile_and_what_the_public_sees(platform, admin):
    me, _ = fresh_therapist(platform, admin, name="Test Profil")
    private = {"personal_information": "Portkod 4711, andra våningen", "phone": "+46700000999",
               "experience": "Tio år i primärvården", "bank_account": "SE45 5000 0000 0583 9825 7466"}
    ok(me.put(f"{B}/therapists/me/profile", json={"title": "Leg. psykolog", "presentation": "Jag hjälper dig att hitta lugnet.",
                                                  "fee_minor": 95000, **private, "languages": ["sv", "en"]}))
    ok(me.put(f"{B}/therapists/me/reception", json={"video": True, "on_site": True, "address": "Testgatan 5, Stockholm"}))
    anyone = platform.person("anyone")
    public = anyone.get(f"{B}/therapists/{me.id}/public")
    assert ok(public)["reception_address"] == "Testgatan 5, Stockholm"
    for value in (*private.values(), "Tio år", "5000 0000"):
        assert value not in public.text
    bad_account = me.put(f"{B}/therapists/me/profile", json={"bank_account": "SE45 5000 0000 0583 9825 7467"})
    assert bad_account.status_code == 422 and "check digits" in bad_account.json()["detail"]
    assert me.put(f"{B}/therapists/me/profile", json={"presentation": "x" * 401}).status_code == 422
    assert me.put(f"{B}/therapists/me/photo", content=b"GIF89a not allowed").status_code == 415
    assert me.put(f"{B}/therapists/me/photo", content=PNG).status_code == 204
    photo = anyone.get(f"{B}/therapists/{me.id}/photo")
    assert photo.content == PNG and photo.headers["content-type"] == "image/png"


def test_the_weight_cap_and_unknown_areas(platform, admin):
    me, _ = fresh_therapist(platform, admin, name="Test Vikter")
    over = {"anxiety": 10, "depression": 10, "stress": 10, "sleep": 10, "relationships": 10, "grief": 10, "trauma": 10,
            "self_esteem": 10, "work": 1}
    refused = me.put(f"{B}/therapists/me/problem-areas", json={"weights": over})
    assert refused.status_code == 422 and refused.json()["sum"] == 81 and refused.json()["limit"] == 80
    assert "81" in refused.json()["detail"] and "80" in refused.json()["detail"]
    assert me.put(f"{B}/therapists/me/problem-areas", json={"weights": {"astrology": 3}}).status_code == 422
    assert me.put(f"{B}/therapists/me/problem-areas", json={"weights": {"sleep": 11}}).status_code == 422
    ok(me.put(f"{B}/therapists/me/problem-areas", json={"weights": {**over, "work": 0}}))


def test_questionnaire_gives_ranked_matches_with_explanations(platform, admin):
    suffix = unique("m").split(".")[1][:6]
    for name, weights, reasons in ((f"Sömn {suffix}", {"sleep": 10, "anxiety": 2}, ["feelings"]),
                                   (f"Ångest {suffix}", {"sleep": 2, "anxiety": 10}, ["feelings.panic"]),
                                   (f"Annat {suffix}", {"sleep": 10, "anxiety": 10}, ["work"])):
        therapist, _ = fresh_therapist(platform, admin, name=name)
        ok(therapist.put(f"{B}/therapists/me/problem-areas", json={"weights": weights}))
        ok(therapist.put(f"{B}/therapists/me/contact-reasons", json={"reasons": reasons}))
    client = bankid_client(platform)
    answered = ok(client.put(f"{B}/questionnaire", json={
        "scores": {"anxiety": 9, "sleep": 4, "stress": 3, "grief": 1, "work": 2, "self_esteem": 5}, "contact_reason": "feelings.panic"}))
    assert [a["area"] for a in answered["top_problem_areas"]] == ["anxiety", "self_esteem", "sleep", "stress", "work"]
    everyone = ok(client.get(f"{B}/matches", params={"limit": 200}))
    matches = [m for m in everyone["items"] if m["name"].endswith(suffix)]
    assert [m["name"] for m in matches] == [f"Ångest {suffix}", f"Sömn {suffix}"]  # "Annat" does not take the reason
    assert everyone["total"] == len(everyone["items"]) >= 2
    # paged: one at a time, in the same order, and the total stays the whole count
    pages = [ok(client.get(f"{B}/matches", params={"limit": 1, "offset": i})) for i in range(everyone["total"])]
    assert [p["items"][0]["therapist_id"] for p in pages] == [m["therapist_id"] for m in everyone["items"]]
    assert {p["total"] for p in pages} == {everyone["total"]}
    assert matches[0]["score"] == 9 * 10 + 4 * 2 and matches[1]["score"] == 9 * 2 + 4 * 10
    assert matches[0]["explanation"][0] == {"area": "anxiety", "client_score": 9, "therapist_weight": 10, "points": 90}
    assert client.put(f"{B}/questionnaire", json={"scores": {"sleep": 3}, "contact_reason": "nonsense"}).status_code == 422


def test_an_invitation_becomes_an_account_and_a_client(platform, admin):
    me, inviter_email = fresh_therapist(platform, admin, name="Test Inbjudare")
    address = f"{unique('inbjuden')}@example.org"
    invited = ok(me.post(f"{B}/invitations", json={"email": address, "language": "sv"}), 201)
    assert [i["email"] for i in ok(me.get(f"{B}/invitations"))] == [address]
    ok(me.post(f"{B}/invitations/{invited['id']}/resend"))
    reminder = platform.mail(address, "Påminnelse")
    token = platform.token_in(platform.links(reminder)[0])

    invitee = platform.person("invitee")
    ok(invitee.http.post(f"{B}/invitations/{token}/accept", json={"display_name": "Test Inbjuden"}), 202)
    assert invitee.http.post(f"{B}/invitations/{token}/accept", json={"display_name": "Test Inbjuden"}).status_code == 409
    credentials = platform.mail(address, "Ditt konto hos din terapeut")  # the marketplace, not the portal
    assert "Tillfälligt lösenord:" in credentials["body"] and "klientportal" not in credentials["body"]
    assert "Test Inbjuden" in platform.mail(inviter_email, "använt din inbjudan")["body"]

    (row,) = wait_for(lambda: ok(me.get(f"{B}/clients")) or None, what="the client on the therapist's list")
    assert row["origin"] == "invited" and row["name"] == "Test Inbjuden"
    card = ok(me.get(f"{B}/clients/{row['client_id']}"))
    assert card["email"] == address and card["future_meetings"] == []
    stranger, _ = fresh_therapist(platform, admin, name="Test Främling")
    assert stranger.get(f"{B}/clients/{row['client_id']}").status_code == 404
    assert invitee.http.post(f"{B}/invitations/not-a-real-token/accept", json={"display_name": "X"}).status_code == 404


def test_an_account_the_therapist_creates_joins_their_list(platform, admin):
    me, _ = fresh_therapist(platform, admin, name="Test Skapare")
    number = valid_personal_number(1980)

    def create():  # the gateway learns of the authorisation from booking's event (403 until then)
        answer = me.post("/identity/accounts", json={"display_name": "Test Skapad", "roles": ["client"],
                                                     "personal_number": f"{number[:8]}-{number[8:]}",
                                                     "email": f"{unique('skapad')}@example.org"})
        assert answer.status_code in (201, 403), answer.text
        return answer.json() if answer.status_code == 201 else None

    created = wait_for(create, what="the authorised therapist making a client account")
    (row,) = wait_for(lambda: [r for r in ok(me.get(f"{B}/clients")) if r["client_id"] == created["id"]],
                      what="the created client on the list")
    assert row["origin"] == "created"
    malformed = me.post("/identity/accounts", json={"display_name": "X", "roles": ["client"], "personal_number": "19800101-0018"})
    assert malformed.status_code == 422
