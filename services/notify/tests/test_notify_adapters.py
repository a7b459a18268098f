"""Notify's production adapters against local fakes: the SMS provider's REST API (real HTTP) and an SMTP
relay with STARTTLS and AUTH (aiosmtpd, with a certificate made here)."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.smtp import SMTP, AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from kit.testing import fake_api, free_port
from notify.adapters import Permanent, Temporary
from notify.adapters.sms import HttpSms
from notify.adapters.smtp import SmtpMailer
from notify.settings import Settings

TOKEN = "sms-test-token"


# -- SMS -------------------------------------------------------------------------------------------------------
def fake_sms_provider() -> FastAPI:
    """Sends each Idempotency-Key once, like the providers that honour one."""
    app = FastAPI()
    app.state.sent, app.state.requests, app.state.busy, app.state.slow = {}, 0, 0, False

    @app.post("/v1/sms")
    async def send(request: Request, authorization: str = Header(""), idempotency_key: str = Header("")) -> JSONResponse:
        app.state.requests += 1
        body = await request.json()
        if authorization != f"Bearer {TOKEN}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if not body["to"].startswith("+"):
            return JSONResponse({"error": "invalid number"}, status_code=400)
        if idempotency_key not in app.state.sent:
            app.state.sent[idempotency_key] = body
        if app.state.slow:
            await asyncio.sleep(2)
        if app.state.busy:  # sent, but the answer is lost: the retry must not send it again
            app.state.busy -= 1
            return JSONResponse({"error": "busy"}, status_code=503)
        return JSONResponse({"id": f"sms-{idempotency_key}"})

    return app


@pytest.fixture
async def sms():
    app = fake_sms_provider()
    async with fake_api(app) as url:
        adapter = HttpSms(Settings(environment="test", sms_provider="http", sms_api_url=f"{url}/v1/sms",
                                   sms_api_token=TOKEN, sms_timeout_s=0.5))
        adapter.fake = app
        yield adapter
        await adapter.close()


async def test_an_sms_is_sent_with_the_message_id_as_idempotency_key(sms):
    assert await sms.send("+46701234567", "Din kod är 123456", "m-1") == "sms-m-1"
    assert sms.fake.state.sent["m-1"] == {"from": "CarePlatf", "to": "+46701234567", "message": "Din kod är 123456",
                                          "reference": "m-1"}


async def test_a_busy_provider_is_asked_again_and_the_sms_goes_once(sms):
    sms.fake.state.busy = 2
    assert await sms.send("+46701234567", "hej", "m-2") == "sms-m-2"
    assert sms.fake.state.requests == 3 and list(sms.fake.state.sent) == ["m-2"]


async def test_a_refused_number_is_permanent_and_a_silent_provider_temporary(sms):
    with pytest.raises(Permanent, match="refused the message \\(400\\)"):
        await sms.send("0701234567", "hej", "m-3")
    sms.fake.state.slow = True
    with pytest.raises(Temporary) as silent:
        await sms.send("+46701234567", "hej", "m-4")
    assert silent.value.__cause__.status == 503
    assert list(sms.fake.state.sent).count("m-4") == 1


# -- SMTP ------------------------------------------------------------------------------------------------------
def _certificate(folder) -> tuple[str, ssl.SSLContext]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test relay")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    (folder / "relay.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "relay.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "relay.pem", folder / "relay.key")
    return str(folder / "relay.pem"), server


class Relay:
    """Accepts mail for @example.org after STARTTLS and AUTH; refuses other domains (550)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if not address.endswith("@example.org"):
            return "550 5.1.1 no such mailbox"
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((envelope.mail_from, envelope.rcpt_tos, envelope.original_content))
        return "250 Message accepted"


def _authenticate(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == b"notify" and auth_data.password == b"relay-password")


@pytest.fixture
async def relay(tmp_path):
    ca_file, tls = _certificate(tmp_path)
    handler = Relay()
    port = free_port()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="relay.test", tls_context=tls, require_starttls=True,
                                                   auth_require_tls=True, authenticator=_authenticate),
                                      host="127.0.0.1", port=port)
    handler.settings = dict(environment="test", mail_adapter="smtp", smtp_host="127.0.0.1", smtp_port=port,
                            smtp_tls="starttls", smtp_ca_file=ca_file, smtp_username="notify",
                            smtp_password="relay-password", smtp_timeout_s=1.0)
    yield handler
    server.close()
    await server.wait_closed()


async def test_a_mail_goes_to_the_relay_over_starttls_with_login(relay):
    reference = await SmtpMailer(Settings(**relay.settings)).send(to="anna@example.org", subject="Hej", body="Välkommen",
                                                                  message_id="m-1")
    assert reference.startswith("<") and len(relay.received) == 1
    assert relay.received[0][1] == ["anna@example.org"] and b"Subject: Hej" in relay.received[0][2]


async def test_the_relays_refusals_are_permanent_and_its_delays_temporary(relay):
    mailer = SmtpMailer(Settings(**relay.settings))
    with pytest.raises(Permanent):
        await mailer.send(to="anna@elsewhere.example", subject="x", body="x", message_id="m-2")
    with pytest.raises(Temporary):
        await mailer.send(to="busy@example.org", subject="x", body="x", message_id="m-3")
    assert relay.received == []


async def test_an_untrusted_or_silent_relay_is_temporary(relay, tmp_path):
    with pytest.raises(Temporary):  # the relay's certificate is not from the configured CA
        await SmtpMailer(Settings(**{**relay.settings, "smtp_ca_file": ""})).send(
            to="anna@example.org", subject="x", body="x", message_id="m-5")
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # accepts, never greets
    port = silent.sockets[0].getsockname()[1]
    with pytest.raises(Temporary):
        await SmtpMailer(Settings(**{**relay.settings, "smtp_port": port, "smtp_timeout_s": 0.3})).send(
            to="anna@example.org", subject="x", body="x", message_id="m-6")
    silent.close()
    assert relay.received == []


def test_production_needs_the_chosen_adapters_credentials_and_tls():
    stubs = Settings(environment="production", sms_provider="stub", mail_adapter="stub").problems()
    assert not [line for line in stubs if "SMS" in line or "SMTP" in line or "MAIL" in line]
    unset = {line.split(":")[0] for line in Settings(environment="production").problems()}
    assert unset >= {"NOTIFY_SMS_PROVIDER", "NOTIFY_MAIL_ADAPTER"}
    chosen = {line.split(":")[0] for line in Settings(environment="production", sms_provider="http", mail_adapter="smtp").problems()}
    assert chosen >= {"NOTIFY_SMS_API_URL", "NOTIFY_SMS_API_TOKEN", "NOTIFY_SMTP_USERNAME", "NOTIFY_SMTP_PASSWORD",
                      "NOTIFY_SMTP_TLS"}
