"""Booking I through the gateway with real servers: applications and review with the authorisation
email, profiles and what the public sees, the weight cap, matching with explanations, invitations that
become accounts, and accounts therapists create."""

from __future__ import annotations

import re
import uuid

import pytest

from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from booking.testing import authorised_therapist
from contracts.gateway.v1 import ContactDetailsChanged
from gateway.app import build as build_gateway
from gateway.settings import Settings as GatewaySettings
from kit.db import Database
from kit.testing import free_port, publish, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from notify.app import build as build_notify
from notify.settings import Settings as NotifySettings
from notify.sink import start_sink

KEY = TokenIssuer()
ADMIN = KEY.headers(uuid.uuid4(), "admin")
B = "/api/booking"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
async def market(test_env):
    gateway_port, booking_port = free_port(), free_port()
    booking = test_env.settings(BookingSettings, database="booking_market", http_port=booking_port, jwt_public_key=KEY.public_pem)
    notify = test_env.settings(NotifySettings, database="notify_market", smtp_port=free_port(), sender_poll_interval_s=0.1)
    gateway = test_env.settings(GatewaySettings, database="gateway_market", http_port=gateway_port,
                                signing_key_pem=KEY.private_pem, services={"booking": f"http://127.0.0.1:{booking_port}"})
    async with running_service(build_booking(booking), test_env, http=True), \
            running_service(build_notify(notify), test_env) as notify_service, \
            running_service(build_gateway(gateway), test_env, http=True) as gateway_service:
        sink_db = Database(notify.database_url, pool_size=2)
        sink = await start_sink(sink_db, "127.0.0.1", notify.smtp_port)
        yield gateway_service, notify_service
        sink.close()
        await sink_db.dispose()


async def mail_to(notify, address: str, subject_part: str) -> dict:
    async def find():
        return next((m for m in (await notify.client.get("/dev/mail", params={"to": address})).json()
                     if subject_part in m["subject"]), None)

    return await wait_for(find, timeout=20, what=f"a mail to {address} about {subject_part!r}")


async def test_application_review_and_the_authorisation_email(market, test_env):
    gw, notify = market
    therapist = uuid.uuid4()
    me = KEY.headers(therapist, "therapist")
    await publish(test_env, ContactDetailsChanged(account_id=therapist, display_name="Test Sökande",
                                                  email="sokande@example.org", language="sv"))
    applied = await gw.client.post(f"{B}/therapists/application", headers=me, json={
        "name": "Test Sökande", "email": "sokande@example.org", "licence_number": "psy-100001", "agreement_version": "2026-01"})
    assert applied.status_code == 201 and applied.json()["status"] == "pending"
    waiting = await gw.client.get(f"{B}/therapists/me/profile", headers=me)
    assert waiting.status_code == 403 and waiting.json()["type"] == "/problems/application-pending"
    assert (await gw.client.get(f"{B}/therapists/application", headers=me)).json()["status"] == "pending"
    pending = (await gw.client.get(f"{B}/admin/applications", headers=ADMIN)).json()
    assert str(therapist) in [a["id"] for a in pending]
    assert (await gw.client.get(f"{B}/admin/applications", headers=me)).status_code == 403
    reviewed = await gw.client.post(f"{B}/admin/applications/{therapist}/review", headers=ADMIN, json={"decision": "authorise"})
    assert reviewed.json()["status"] == "authorised"
    mail = await mail_to(notify, "sokande@example.org", "godkänt")
    assert mail["subject"] == "Ditt terapeutkonto är godkänt"
    assert (await gw.client.get(f"{B}/therapists/me/profile", headers=me)).status_code == 200


async def test_an_invalid_licence_cannot_be_authorised_and_a_rejection_is_emailed(market, test_env):
    gw, notify = market
    therapist = uuid.uuid4()
    await publish(test_env, ContactDetailsChanged(account_id=therapist, display_name="Test Ogiltig", email="ogiltig@example.org"))
    await gw.client.post(f"{B}/therapists/application", headers=KEY.headers(therapist, "therapist"), json={
        "name": "Test Ogiltig", "email": "ogiltig@example.org", "licence_number": "PSY-100003", "agreement_version": "2026-01"})
    refused = await gw.client.post(f"{B}/admin/applications/{therapist}/review", headers=ADMIN, json={"decision": "authorise"})
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/licence-not-valid"
    rejected = await gw.client.post(f"{B}/admin/applications/{therapist}/review", headers=ADMIN,
                                    json={"decision": "reject", "note": "legitimationen är indragen"})
    assert rejected.json()["status"] == "rejected"
    told = await gw.client.get(f"{B}/therapists/me/profile", headers=KEY.headers(therapist, "therapist"))
    assert told.status_code == 403 and told.json()["type"] == "/problems/application-rejected"
    assert "rejected" in told.json()["detail"] and "not authorised yet" not in told.json()["detail"]
    mail = await mail_to(notify, "ogiltig@example.org", "ansökan")
    assert "legitimationen är indragen" in mail["body"]


async def test_profile_and_what_the_public_sees(market):
    gw, _ = market
    therapist, me = await authorised_therapist(gw.client, KEY, prefix=B, name="Test Profil")
    private = {"personal_information": "Portkod 4711, andra våningen", "phone": "+46700000999",
               "experience": "Tio år i primärvården", "bank_account": "SE45 5000 0000 0583 9825 7466"}
    saved = await gw.client.put(f"{B}/therapists/me/profile", headers=me, json={
        "title": "Leg. psykolog", "presentation": "Jag hjälper dig att hitta lugnet.", "fee_minor": 95000, **private,
        "languages": ["sv", "en"]})
    assert saved.status_code == 200, saved.text
    reception = await gw.client.put(f"{B}/therapists/me/reception", headers=me,
                                    json={"video": True, "on_site": True, "address": "Testgatan 5, Stockholm"})
    assert reception.status_code == 200
    public = await gw.client.get(f"{B}/therapists/{therapist}/public")
    assert set(public.json()) == {"id", "name", "title", "presentation", "reception_address", "fee_minor", "currency"}
    assert public.json()["reception_address"] == "Testgatan 5, Stockholm"
    for value in (*private.values(), "Tio år", "5000 0000"):
        assert value not in public.text
    bad_account = await gw.client.put(f"{B}/therapists/me/profile", headers=me, json={"bank_account": "SE45 5000 0000 0583 9825 7467"})
    assert bad_account.status_code == 422 and "check digits" in bad_account.json()["detail"]
    long_presentation = await gw.client.put(f"{B}/therapists/me/profile", headers=me, json={"presentation": "x" * 401})
    assert long_presentation.status_code == 422
    assert (await gw.client.put(f"{B}/therapists/me/photo", headers=me, content=b"GIF89a not allowed")).status_code == 415
    assert (await gw.client.put(f"{B}/therapists/me/photo", headers=me, content=PNG)).status_code == 204
    photo = await gw.client.get(f"{B}/therapists/{therapist}/photo")
    assert photo.content == PNG and photo.headers["content-type"] == "image/png"


async def test_the_weight_cap_and_unknown_areas(market):
    gw, _ = market
    _, me = await authorised_therapist(gw.client, KEY, prefix=B)
    over = {"anxiety": 10, "depression": 10, "stress": 10, "sleep": 10, "relationships": 10, "grief": 10, "trauma": 10,
            "self_esteem": 10, "work": 1}
    refused = await gw.client.put(f"{B}/therapists/me/problem-areas", headers=me, json={"weights": over})
    assert refused.status_code == 422 and refused.json()["sum"] == 81 and refused.json()["limit"] == 80
    assert "81" in refused.json()["detail"] and "80" in refused.json()["detail"]
    assert (await gw.client.put(f"{B}/therapists/me/problem-areas", headers=me, json={"weights": {"astrology": 3}})).status_code == 422
    assert (await gw.client.put(f"{B}/therapists/me/problem-areas", headers=me, json={"weights": {"sleep": 11}})).status_code == 422
    ok = {**over, "work": 0}
    assert (await gw.client.put(f"{B}/therapists/me/problem-areas", headers=me, json={"weights": ok})).status_code == 200


async def test_questionnaire_gives_ranked_matches_with_explanations(market):
    gw, _ = market
    suffix = uuid.uuid4().hex[:6]
    sleepy, _ = await authorised_therapist(gw.client, KEY, prefix=B, name=f"Sömn {suffix}")
    anxious, _ = await authorised_therapist(gw.client, KEY, prefix=B, name=f"Ångest {suffix}")
    elsewhere, _ = await authorised_therapist(gw.client, KEY, prefix=B, name=f"Annat {suffix}")
    for therapist, weights, reasons in ((sleepy, {"sleep": 10, "anxiety": 2}, ["feelings"]),
                                        (anxious, {"sleep": 2, "anxiety": 10}, ["feelings.panic"]),
                                        (elsewhere, {"sleep": 10, "anxiety": 10}, ["work"])):
        headers = KEY.headers(therapist, "therapist")
        await gw.client.put(f"{B}/therapists/me/problem-areas", headers=headers, json={"weights": weights})
        await gw.client.put(f"{B}/therapists/me/contact-reasons", headers=headers, json={"reasons": reasons})
    client = KEY.headers(uuid.uuid4(), "client")
    answered = await gw.client.put(f"{B}/questionnaire", headers=client, json={
        "scores": {"anxiety": 9, "sleep": 4, "stress": 3, "grief": 1, "work": 2, "self_esteem": 5}, "contact_reason": "feelings.panic"})
    assert [a["area"] for a in answered.json()["top_problem_areas"]] == ["anxiety", "self_esteem", "sleep", "stress", "work"]
    everyone = (await gw.client.get(f"{B}/matches", headers=client, params={"limit": 200})).json()
    matches = [m for m in everyone["items"] if m["name"].endswith(suffix)]
    assert [m["name"] for m in matches] == [f"Ångest {suffix}", f"Sömn {suffix}"]  # "Annat" does not take the reason
    assert everyone["total"] == len(everyone["items"]) >= 2
    # paged: one at a time, in the same order, and the total stays the whole count
    pages = [(await gw.client.get(f"{B}/matches", headers=client, params={"limit": 1, "offset": i})).json()
             for i in range(everyone["total"])]
    assert [p["items"][0]["therapist_id"] for p in pages] == [m["therapist_id"] for m in everyone["items"]]
    assert {p["total"] for p in pages} == {everyone["total"]}
    assert matches[0]["score"] == 9 * 10 + 4 * 2 and matches[1]["score"] == 9 * 2 + 4 * 10
    assert matches[0]["explanation"][0] == {"area": "anxiety", "client_score": 9, "therapist_weight": 10, "points": 90}
    bad = await gw.client.put(f"{B}/questionnaire", headers=client, json={"scores": {"sleep": 3}, "contact_reason": "nonsense"})
    assert bad.status_code == 422


async def test_an_invitation_becomes_an_account_and_a_client(market, test_env):
    gw, notify = market
    therapist, me = await authorised_therapist(gw.client, KEY, prefix=B, name="Test Inbjudare")
    await publish(test_env, ContactDetailsChanged(account_id=therapist, display_name="Test Inbjudare", email="inbjudare@example.org"))
    address = f"inbjuden.{uuid.uuid4().hex[:6]}@example.org"
    invited = await gw.client.post(f"{B}/invitations", headers=me, json={"email": address, "language": "sv"})
    assert invited.status_code == 201
    assert [i["email"] for i in (await gw.client.get(f"{B}/invitations", headers=me)).json()] == [address]
    await gw.client.post(f"{B}/invitations/{invited.json()['id']}/resend", headers=me)
    reminder = await mail_to(notify, address, "Påminnelse")
    token = re.search(r"/invitations/([A-Za-z0-9_-]+)", reminder["body"])[1]

    accepted = await gw.client.post(f"{B}/invitations/{token}/accept", json={"display_name": "Test Inbjuden"})
    assert accepted.status_code == 202
    again = await gw.client.post(f"{B}/invitations/{token}/accept", json={"display_name": "Test Inbjuden"})
    assert again.status_code == 409
    credentials = await mail_to(notify, address, "Ditt konto hos din terapeut")  # the marketplace, not the portal
    assert "Tillfälligt lösenord:" in credentials["body"] and "klientportal" not in credentials["body"]
    used = await mail_to(notify, "inbjudare@example.org", "använt din inbjudan")
    assert "Test Inbjuden" in used["body"]

    async def listed():
        rows = (await gw.client.get(f"{B}/clients", headers=me)).json()
        return rows or None

    (row,) = await wait_for(listed, what="the client on the therapist's list")
    assert row["origin"] == "invited" and row["name"] == "Test Inbjuden"
    card = (await gw.client.get(f"{B}/clients/{row['client_id']}", headers=me)).json()
    assert card["email"] == address and card["future_meetings"] == []
    stranger = await authorised_therapist(gw.client, KEY, prefix=B)
    assert (await gw.client.get(f"{B}/clients/{row['client_id']}", headers=stranger[1])).status_code == 404
    assert (await gw.client.post(f"{B}/invitations/not-a-real-token/accept", json={"display_name": "X"})).status_code == 404


async def test_an_account_the_therapist_creates_joins_their_list(market):
    gw, _ = market
    therapist, me = await authorised_therapist(gw.client, KEY, prefix=B)
    created = await gw.client.post("/identity/accounts", headers=me, json={
        "display_name": "Test Skapad", "roles": ["client"], "personal_number": "19800101-0019", "email": "skapad@example.org"})
    assert created.status_code == 201, created.text

    async def listed():
        return [r for r in (await gw.client.get(f"{B}/clients", headers=me)).json() if r["client_id"] == created.json()["id"]]

    (row,) = await wait_for(listed, what="the created client on the list")
    assert row["origin"] == "created"
    malformed = await gw.client.post("/identity/accounts", headers=me, json={
        "display_name": "X", "roles": ["client"], "personal_number": "19800101-0018"})
    assert malformed.status_code == 422
