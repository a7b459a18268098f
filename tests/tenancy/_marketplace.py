"""The marketplace and the clinics behind the real gateway, with people who sign in as people do: therapists
sign up with email and password, clients with BankID (the development simulator), the demo admin (the gateway's
own seed of kit.demo's cast, as `make run` seeds it) with password and the SMS code. The gateway signs every
token with this run's key; booking and billing check them with its public half (no test mints a token). A
clinic and its practitioners are made by the admin through the gateway's directory routes; booking learns of
them from the directory's events, as it does in production.

Shared by tests/tenancy/test_booking.py and test_billing.py (imported by path: tests/ is not a package).
"""

from __future__ import annotations

import json
import random
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from billing.app import build as build_billing
from billing.settings import Settings as BillingSettings
from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from gateway.app import build as build_gateway
from gateway.seed import seed_demo
from gateway.settings import Settings as GatewaySettings
from kit import demo
from kit.testing import free_port, probe, running_service, wait_for
from kit.testing.tokens import TokenIssuer

#: the gateway's signing key pair for this run (the services are configured with its public half)
KEY = TokenIssuer()
PASSWORD = "Saffron-Glacier-Tundra-5821"  # the new therapists'
VALID_LICENCE = "PSY-100001"


def personal_number() -> str:
    """An invented personal number with a valid check digit (born 1980–1999)."""
    digits = f"{random.randint(80, 99):02d}{random.randint(1, 12):02d}{random.randint(1, 28):02d}{random.randint(0, 999):03d}"
    total = 0
    for i, ch in enumerate(digits):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return f"19{digits[:6]}-{digits[6:]}{(10 - total % 10) % 10}"


@dataclass
class Person:
    id: uuid.UUID
    headers: dict[str, str]
    extra: dict = field(default_factory=dict)


@dataclass
class Platform:
    gateway: object
    booking: object
    billing: object
    env: object
    admin: Person | None = None

    @property
    def http(self) -> httpx.AsyncClient:
        return self.gateway.client  # type: ignore[attr-defined]

    async def _signed_in(self, tokens: dict) -> Person:
        if tokens.get("scope") == "limited":
            version = self.gateway.settings.terms_version  # type: ignore[attr-defined]
            accepted = await self.http.post("/identity/terms/accept", json={"version": version},
                                            headers={"Authorization": f"Bearer {tokens['access_token']}"})
            assert accepted.status_code == 200, accepted.text
            tokens = accepted.json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        me = await self.http.get("/identity/me", headers=headers)
        assert me.status_code == 200, me.text
        return Person(uuid.UUID(me.json()["id"]), headers)

    async def bankid_client(self) -> Person:
        ref = (await self.http.post("/identity/bankid/auth")).json()["order_ref"]
        signed = await self.http.post("/identity/dev/bankid/sign", json={
            "order_ref": ref, "personal_number": personal_number(), "name": "Test Klient"})
        assert signed.status_code == 204, signed.text
        collected = await self.http.post("/identity/bankid/collect", json={"order_ref": ref})
        assert collected.status_code == 200, collected.text
        return await self._signed_in(collected.json()["tokens"])

    async def sign_in_admin(self) -> Person:
        """The demo admin (kit.demo's demo.admin), signed in with password + the SMS code (read from the event
        notify texts)."""
        if self.admin:
            return self.admin
        async with probe(self.env, "gateway.login_code_requested.v1") as codes:  # the SMS, as the sink gets it
            started = await self.http.post("/identity/password/login", json={"username": "demo.admin", "password": demo.PASSWORD})
            assert started.status_code == 200, started.text
            attempt = started.json()["attempt_id"]
            while (sent := json.loads((await codes.next()).body)["payload"])["attempt_id"] != attempt:
                pass
        tokens = await self.http.post("/identity/password/code", json={"attempt_id": attempt, "code": sent["code"]})
        assert tokens.status_code == 200, tokens.text
        self.admin = await self._signed_in(tokens.json())
        return self.admin

    async def therapist(self, name: str = "Test Terapeut", *, authorise: bool = True) -> Person:
        """Signs up with email and password, applies in booking, and is authorised by the admin (unless not)."""
        email = f"terapeut.{uuid.uuid4().hex[:10]}@example.org"
        registered = await self.http.post("/identity/register", json={"display_name": name, "email": email,
                                                                       "password": PASSWORD})
        assert registered.status_code == 202, registered.text
        login = await self.http.post("/identity/email/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        me = await self._signed_in(login.json())
        applied = await self.http.post("/api/booking/therapists/application", headers=me.headers, json={
            "name": name, "email": email, "licence_number": VALID_LICENCE, "agreement_version": "2026-01"})
        assert applied.status_code == 201, applied.text
        if not authorise:
            return me
        await self.authorise(me)
        return me

    async def authorise(self, me: Person) -> None:
        admin = await self.sign_in_admin()
        reviewed = await self.http.post(f"/api/booking/admin/applications/{me.id}/review", headers=admin.headers,
                                        json={"decision": "authorise"})
        assert reviewed.status_code == 200, reviewed.text

    async def clinic(self, name: str) -> uuid.UUID:
        """A clinic the admin makes in the gateway's directory."""
        admin = await self.sign_in_admin()
        made = await self.http.post("/directory/organisations", headers=admin.headers, json={
            "kind": "clinic", "code": f"C{uuid.uuid4().hex[:6].upper()}", "name": name, "time_zone": "Europe/Oslo"})
        assert made.status_code == 201, made.text
        return uuid.UUID(made.json()["id"])

    async def practitioner(self, clinic: uuid.UUID, name: str = "Test Behandler") -> Person:
        """An authorised therapist whom the admin grants "practitioner" in ``clinic`` through the directory; the
        test waits until booking's copy of the directory lets them in."""
        me = await self.therapist(name)
        admin = await self.sign_in_admin()
        granted = await self.http.post(f"/directory/organisations/{clinic}/members", headers=admin.headers,
                                       json={"account_id": str(me.id), "role": "practitioner"})
        assert granted.status_code in (200, 201), granted.text

        async def admitted() -> bool:
            mine = await self.http.get("/api/booking/clinics/mine", headers=me.headers)
            return mine.status_code == 200 and str(clinic) in {c["id"] for c in mine.json()}

        await wait_for(admitted, what="the practitioner's clinic in booking's directory copy")
        return me

    async def slot(self, therapist: Person, days: float = 3, **extra: object) -> dict:
        starts = (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0)
        created = await self.http.post("/api/booking/slots", headers=therapist.headers, json={
            "starts_at": starts.isoformat(), "price_minor": 95000, "currency": "SEK", "video": True, **extra})
        assert created.status_code == 201, created.text
        return created.json()

    async def paid_booking(self, client: Person, slot: dict) -> dict:
        """The client reserves the slot and pays with the provider stub; returns the confirmed booking."""
        reserved = await self.http.post(f"/api/booking/slots/{slot['id']}/reservations", headers=client.headers)
        assert reserved.status_code == 201, reserved.text
        booking_id = reserved.json()["id"]

        async def payment() -> dict | None:
            found = await self.http.get(f"/api/billing/payments/by-booking/{booking_id}", headers=client.headers)
            return found.json() if found.status_code == 200 else None

        paid = await wait_for(payment, what="the payment")
        pay = await self.http.post(f"/api/billing/payments/{paid['id']}/pay", headers=client.headers,
                                   json={"payment_method": "stub_card_ok"})
        assert pay.status_code == 202, pay.text

        async def confirmed() -> dict | None:
            found = (await self.http.get(f"/api/booking/bookings/{booking_id}", headers=client.headers)).json()
            return found if found["status"] == "confirmed" else None

        booking = await wait_for(confirmed, timeout=20, what="the booking confirmed")
        return booking | {"payment_id": paid["id"]}


@asynccontextmanager
async def platform(test_env, name: str):  # noqa: ANN201
    ports = {service: free_port() for service in ("gateway", "booking", "billing")}
    url = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    common = {"jwt_public_key": KEY.public_pem}
    booking = test_env.settings(BookingSettings, database=f"booking_{name}", http_port=ports["booking"], **common)
    billing = test_env.settings(BillingSettings, database=f"billing_{name}", http_port=ports["billing"],
                                stub_webhook_url=f"{url['billing']}/webhooks/provider", stub_confirm_delay_s=0.05,
                                payout_scheduler_enabled=False, **common)
    gateway = test_env.settings(GatewaySettings, database=f"gateway_{name}", http_port=ports["gateway"],
                                signing_key_pem=KEY.private_pem, services={"booking": url["booking"], "billing": url["billing"]})
    async with running_service(build_booking(booking), test_env, http=True) as booking_service, \
            running_service(build_billing(billing), test_env, http=True) as billing_service, \
            running_service(build_gateway(gateway), test_env, http=True) as gateway_service:
        async with gateway_service.app.state.db.transaction() as session:  # as `make run` seeds the directory
            await seed_demo(session, gateway_service.settings)
        yield Platform(gateway_service, booking_service, billing_service, test_env)
