"""Steps several journeys share, each done by the person who does it, through the gateway only.

A fresh therapist (BK-1, BK-2, BK-3, BK-5, BK-13), a paid booking (BK-15, BL-1), a prescribed and delivered
order (LG-9, LG-11), an account a coordinator makes (PT-1, GW-4). Values are invented; phones are in the
+4670000 test range and emails at example.org.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta

from people import Person, Platform, ok, wait_for

from kit import demo

B, BL, LG, PT = "/api/booking", "/api/billing", "/api/logistics", "/api/portal"
VALID_LICENCE = "PSY-100001"  # the development licence register's valid licence (booking's stub)
AGREEMENT = "2026-01"
ADDRESS = "Exempelgatan 12, 411 01 Göteborg"
DOOR_CODE = "Portkod 4711, andra våningen"


def unique(label: str) -> str:
    return f"{label}.{uuid.uuid4().hex[:8]}"


def new_phone() -> str:
    """A phone in the +4670000 test range, new for this run (so its SMS are this person's only)."""
    return f"+4670000{random.randrange(1000, 9999)}"


def valid_personal_number(year: int = 1940) -> str:
    """An invented Swedish personal number with a valid check digit (YYYYMMDDNNNC), of a registered person
    without protected identity in the development population register (its last four never start with 99)."""
    base = f"{year % 100:02d}{random.randrange(1, 13):02d}{random.randrange(1, 29):02d}{random.randrange(100, 900):03d}"
    total = 0
    for index, digit in enumerate(base):
        product = int(digit) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return f"{str(year)[:2]}{base}{(10 - total % 10) % 10}"


# -- the marketplace ---------------------------------------------------------------------------------------
def fresh_therapist(platform: Platform, admin: Person, *, name: str = "Test Terapeut Ny",
                    time_zone: str = "Europe/Stockholm") -> tuple[Person, str]:
    """BK-1 a therapist signs up with email and password and applies; BK-2 the admin authorises the
    application and the therapist gets the mail; BK-3/BK-5 the profile and reception. Returns the signed-in
    therapist and their email."""
    email = f"{unique('terapeut')}@example.org"
    password = "Terapeut-Losen-2026!"
    registered = platform.person("new therapist")
    ok(registered.http.post("/identity/register", json={"display_name": name, "email": email, "phone": new_phone(),
                                                        "password": password, "language": "sv"}), 202)
    therapist = registered.email_login(email, password)
    applied = ok(therapist.post(f"{B}/therapists/application", json={
        "name": name, "email": email, "licence_number": VALID_LICENCE, "agreement_version": AGREEMENT}), 201)
    assert applied["status"] == "pending"
    waiting = therapist.get(f"{B}/therapists/me/profile")
    assert waiting.status_code == 403 and waiting.json()["type"] == "/problems/application-pending"

    pending = ok(admin.get(f"{B}/admin/applications"))
    assert therapist.id in [a["id"] for a in pending]
    reviewed = ok(admin.post(f"{B}/admin/applications/{therapist.id}/review", json={"decision": "authorise"}))
    assert reviewed["status"] == "authorised"
    mail = platform.mail(email, "godkänt")
    assert mail["subject"] == "Ditt terapeutkonto är godkänt"

    ok(therapist.put(f"{B}/therapists/me/profile", json={
        "title": "Leg. psykolog", "presentation": "Jag hjälper dig att hitta lugnet.", "fee_minor": 95000,
        "personal_information": DOOR_CODE, "languages": ["sv", "en"], "time_zone": time_zone,
        "bank_account": "SE45 5000 0000 0583 9825 7466"}))
    ok(therapist.put(f"{B}/therapists/me/reception", json={"video": True, "on_site": True, "address": ADDRESS}))
    return therapist, email


def fresh_practitioner(platform: Platform, admin: Person, *, name: str = "Test Behandler") -> tuple[Person, str]:
    """A fresh therapist (``fresh_therapist``, Oslo time) in a new clinic: the admin makes the clinic in the
    gateway's directory and grants them "practitioner" there; returns once booking's copy lets them into the
    clinic's appointment book. Returns the practitioner and the clinic's id."""
    practitioner, _ = fresh_therapist(platform, admin, name=name, time_zone="Europe/Oslo")
    clinic = ok(admin.post("/directory/organisations", json={
        "kind": "clinic", "code": unique("KLINIKK").replace(".", "-"), "name": f"Klinikk {name}", "time_zone": "Europe/Oslo"}), 201)
    ok(admin.post(f"/directory/organisations/{clinic['id']}/members", json={"account_id": practitioner.id, "role": "practitioner"}),
       200, 201)
    wait_for(lambda: clinic["id"] in {c["id"] for c in ok(practitioner.get(f"{B}/clinics/mine"))},
             what="the practitioner's clinic in booking")
    return practitioner, clinic["id"]


def new_slot(therapist: Person, *, days: int = 3, hour: int = 9, **extra) -> dict:
    """BK-13: a free slot ``days`` from now (45 minutes, on site and video)."""
    start = (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    body = {"starts_at": start.isoformat(), "price_minor": 95000, "currency": "SEK", "video": True, "on_site": True} | extra
    return ok(therapist.post(f"{B}/slots", json=body), 201)


def book_and_pay(client: Person, slot_id: str) -> dict:
    """BK-15/BL-1: reserve, pay in advance with the stub card, and wait until booking says confirmed."""
    reserved = ok(client.post(f"{B}/slots/{slot_id}/reservations", headers={"Idempotency-Key": unique("reserve")}), 201)
    assert reserved["status"] == "pending_payment"

    def payment() -> dict | None:
        found = client.get(f"{BL}/payments/by-booking/{reserved['id']}")
        return found.json() if found.status_code == 200 else None

    paying = wait_for(payment, what="the payment of the reservation")
    ok(client.post(f"{BL}/payments/{paying['id']}/pay", json={"payment_method": "stub_card_ok"},
                   headers={"Idempotency-Key": unique("pay")}), 202)

    def confirmed() -> dict | None:
        found = ok(client.get(f"{B}/bookings/{reserved['id']}"))
        return found if found["status"] == "confirmed" else None

    return wait_for(confirmed, what="the booking confirmed")


# -- logistics ------------------------------------------------------------------------------------------------
def prescriber_ready(prescriber: Person, username: str) -> dict:
    """LG-1: the first-login settings, chosen among what aid-centre staff granted (the demo cast's service
    units, payer and own store); a prescriber who made them already gets their page."""
    page = prescriber.get(f"{LG}/prescribers/me")
    if page.status_code == 200:
        return page.json()
    person = demo.BY_USERNAME[username]
    units = [demo.BY_KEY[key].code for key, role in person.memberships if role == "prescriber"]
    stores = [demo.BY_KEY[key].code for key, role in person.memberships if role == "store_keeper"]
    payer = demo.BY_KEY[_municipality_of(person)].name
    unit_keys = [key for key, role in person.memberships if role == "prescriber"]
    # today's settings name units and payer; with #18 the default unit is one of the granted ones, by id
    return ok(prescriber.put(f"{LG}/prescribers/me/settings", json={
        "default_source": "aid_centre", "service_units": units, "payer": payer, "own_stores": stores,
        "service_unit_id": str(demo.BY_KEY[unit_keys[0]].id)}))


def fresh_prescriber(platform: Platform, *, units: tuple[str, ...] = ("unit.1a",), stores: tuple[str, ...] = ("store.1",),
                     name: str | None = None, **settings) -> Person:
    """A new prescriber: the admin makes the account (GW-4: the temporary password by mail), aid-centre staff
    grant ``units`` (prescriber) and ``stores`` (store keeper) through the directory (kit.demo keys), and the
    prescriber signs in with password and SMS code. With ``settings`` (or by default) the first-login settings
    (LG-1) are made, retried until logistics' copy of the directory has the grants: the first unit the default,
    the granted stores their own; ``unmade=True`` leaves them unmade."""
    username = unique("forskrivare")
    email, phone = f"{username}@example.org", new_phone()
    name = name or f"Test Förskrivare {username[-8:]}"
    account = ok(platform.sign_in("demo.admin").post("/identity/accounts", json={
        "display_name": name, "roles": ["prescriber"], "email": email, "phone": phone, "username": username,
        "language": "sv"}), 201)
    staff = platform.sign_in("demo.aidcentre")
    for key, role in [(u, "prescriber") for u in units] + [(s, "store_keeper") for s in stores]:
        ok(staff.post(f"/directory/organisations/{demo.BY_KEY[key].id}/members",
                      json={"account_id": account["id"], "role": role}), 200, 201)
    temporary = re.search(r"Tillfälligt lösenord: (\S+)", platform.mail(email, "konto")["body"])[1]
    prescriber = platform.person(name).password_login(username, temporary, phone)
    if settings.pop("unmade", False):
        return prescriber
    body = {"default_source": "own_store" if stores else "aid_centre", "service_unit_id": str(demo.BY_KEY[units[0]].id),
            "own_stores": [demo.BY_KEY[s].code for s in stores]} | settings

    def made() -> dict | None:  # logistics learns of the grants from the gateway's events: until then, a 403
        answer = prescriber.put(f"{LG}/prescribers/me/settings", json=body)
        return ok(answer) if answer.status_code != 403 else None

    wait_for(made, what=f"logistics to know {name}'s grants")
    return prescriber


def _municipality_of(person: demo.DemoPerson) -> str:
    for key, _ in person.memberships:
        parent = demo.BY_KEY[key].parent
        if parent and demo.BY_KEY[parent].kind == "municipality":
            return parent
    raise AssertionError(f"{person.username} belongs to no municipality")


def available_article(prescriber: Person, term: str = "käpp", warehouse: str = "100", *, kind: str = "main",
                      at_least: int = 1) -> dict:
    """LG-4: an aid without individual numbers (a main aid unless ``kind`` says otherwise) of which the warehouse
    has at least ``at_least`` available (a consumable would appear only in its own view and cannot be picked
    up, LG-18)."""
    found = ok(prescriber.get(f"{LG}/articles/search", params={"q": term, "type": kind, "warehouse": warehouse,
                                                                "limit": 200}))
    hit = next((h for h in found["hits"] if (h["available"] or 0) >= at_least and not h["individual_tracked"]), None)
    assert hit, f"no {term!r} with {at_least} in stock in warehouse {warehouse}: {found}"
    return hit


def register_recipient(prescriber: Person, personal_number: str | None = None) -> dict:
    """LG-9: a patient found in the population register by personal number, with the reason for the look-up
    (HSLF-FS 2016:40); the address comes from the register."""
    number = personal_number or valid_personal_number()
    recipient = ok(prescriber.post(f"{LG}/recipients", json={
        "kind": "patient", "personal_number": number, "reason": "förskrivning av gånghjälpmedel"}), 200, 201)
    assert recipient["street"] and recipient["city"], recipient
    assert recipient["personal_number"] != number and number not in str(recipient), "the number is shown masked"
    return recipient


def order_and_submit(prescriber: Person, recipient_id: str, article_id: str, warehouse: str = "100", *, quantity: int = 1) -> dict:
    """LG-11: the cart, a line, submit: a case number (LG-2) and status registered."""
    cart = ok(prescriber.post(f"{LG}/recipients/{recipient_id}/cart"))
    ok(prescriber.post(f"{LG}/orders/{cart['id']}/lines", json={"article_id": article_id, "warehouse_code": warehouse,
                                                                "quantity": quantity}), 201)
    submitted = ok(prescriber.post(f"{LG}/orders/{cart['id']}/submit"))
    assert submitted["status"] == "registered" and re.fullmatch(r"\d{8}", submitted["case_number"]), submitted
    return submitted


def pdf_text(pdf: bytes) -> str:
    """What a printout says, as the person reads it."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# -- the portal -----------------------------------------------------------------------------------------------
def coordinator_makes_client(platform: Platform, coordinator: Person, organisation_id: str, *,
                             roles: tuple[str, ...] = ("client",), represents: list[str] | None = None) -> dict:
    """PT-1: the coordinator makes the account (the temporary password goes by mail) and the portal record.
    Returns username, temporary password, phone, email and account id."""
    username = unique("client")
    email, phone = f"{username}@example.org", new_phone()
    account = ok(coordinator.post("/identity/accounts", json={
        "display_name": f"Test {username}", "roles": list(roles), "email": email, "phone": phone,
        "username": username, "language": "nl", "represents": represents or [],
        "organisation_id": organisation_id}), 201)  # the account becomes a member of the coordinator's organisation
    assert account["temporary_password_sent"] is True
    if "client" in roles:
        record = {"account_id": account["id"], "organisation_id": organisation_id, "display_name": f"Test {username}",
                  "date_of_birth": "1950-04-01", "address": "Teststraat 1, Amsterdam", "contact_person": "Test Dochter"}

        def recorded() -> dict | None:
            # the portal learns of the new member from the gateway's MembershipGranted: until then, a 403
            answer = coordinator.post(f"{PT}/clients", json=record)
            return ok(answer, 201) if answer.status_code != 403 else None

        wait_for(recorded, what="the portal to know the new client of the organisation")
    mail = platform.mail(email, "account")
    assert f"Gebruikersnaam: {username}" in mail["body"], mail["body"]
    temporary = re.search(r"Tijdelijk wachtwoord: (\S+)", mail["body"])[1]
    return {"username": username, "temporary": temporary, "phone": phone, "email": email, "id": account["id"]}
