"""BankID's production adapter through the gateway's own routes, against a local fake of the RP API v6
served over mutual TLS (a CA, the fake's server certificate and the RP client certificate are made here
with ``cryptography``): a user starts, scans, signs and is signed in; BankID's refusals are problems."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import ssl
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gateway.adapters.bankid import BankIdRp, mutual_tls
from gateway.app import build as build_gateway
from gateway.identity import rules
from gateway.settings import Settings as GatewaySettings
from kit.adapters import OutsideSystemError
from kit.testing import fake_api, free_port, running_service
from kit.testing.tokens import TokenIssuer


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _issue(name: str, issuer_key, issuer_name, *, ca: bool = False, ip: str | None = None):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return key, cert


def _ca(name: str):
    return _issue(name, None, None, ca=True)


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def fake_bankid() -> FastAPI:
    """BankID's RP API as far as the gateway uses it; ``state`` steers it from the test."""
    app = FastAPI()
    app.state.orders, app.state.busy, app.state.slow, app.state.in_progress = {}, 0, False, False

    async def steer() -> JSONResponse | None:
        if app.state.slow:
            await asyncio.sleep(2)
        if app.state.busy:
            app.state.busy -= 1
            return JSONResponse({"errorCode": "maintenance", "details": "try later"}, status_code=503)
        return None

    @app.post("/rp/v6.0/auth")
    async def auth(request: Request) -> JSONResponse:
        body = await request.json()
        if not body.get("endUserIp"):
            return JSONResponse({"errorCode": "invalidParameters", "details": "endUserIp"}, status_code=400)
        if (busy := await steer()) is not None:
            return busy
        if app.state.in_progress:
            return JSONResponse({"errorCode": "alreadyInProgress", "details": "..."}, status_code=400)
        ref = str(uuid.uuid4())
        app.state.orders[ref] = {"status": "pending", "hintCode": "outstandingTransaction"}
        return JSONResponse({"orderRef": ref, "autoStartToken": str(uuid.uuid4()), "qrStartToken": str(uuid.uuid4()),
                             "qrStartSecret": str(uuid.uuid4())})

    @app.post("/rp/v6.0/collect")
    async def collect(request: Request) -> JSONResponse:
        ref = (await request.json()).get("orderRef")
        if (busy := await steer()) is not None:
            return busy
        if ref not in app.state.orders:
            return JSONResponse({"errorCode": "invalidParameters", "details": "No such order"}, status_code=400)
        return JSONResponse({"orderRef": ref, **app.state.orders[ref]})

    @app.post("/rp/v6.0/cancel")
    async def cancel(request: Request) -> JSONResponse:
        ref = (await request.json()).get("orderRef")
        app.state.orders[ref] = {"status": "failed", "hintCode": "cancelled"}
        return JSONResponse({})

    return app


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bankid-pki")
    ca_key, ca = _ca("Test BankID CA")
    server_key, server = _issue("appapi2.test", ca_key, ca.subject, ip="127.0.0.1")
    client_key, client = _issue("Test RP", ca_key, ca.subject)
    (folder / "ca.pem").write_bytes(_cert_pem(ca))
    (folder / "server.pem").write_bytes(_cert_pem(server))
    (folder / "server.key").write_bytes(_pem(server_key))
    return {"folder": folder, "ca": _cert_pem(ca).decode(), "client_cert": _cert_pem(client).decode(),
            "client_key": _pem(client_key).decode()}


@pytest.fixture(scope="module")
async def bankid(pki):
    app = fake_bankid()
    folder = pki["folder"]
    tls = {"ssl_keyfile": str(folder / "server.key"), "ssl_certfile": str(folder / "server.pem"),
           "ssl_ca_certs": str(folder / "ca.pem"), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    async with fake_api(app, ssl=tls) as url:
        app.state.url = url
        yield app


@pytest.fixture(scope="module")
async def gw(test_env, bankid, pki):
    settings = test_env.settings(GatewaySettings, http_port=free_port(), signing_key_pem=TokenIssuer().private_pem,
                                 services={}, bankid_adapter="http", bankid_url=f"{bankid.state.url}/rp/v6.0",
                                 bankid_client_cert_pem=pki["client_cert"], bankid_client_key_pem=pki["client_key"],
                                 bankid_ca_pem=pki["ca"], bankid_timeout_s=0.5)
    async with running_service(build_gateway(settings), test_env) as gateway:
        yield gateway


@pytest.fixture(autouse=True)
def calm(bankid):
    bankid.state.busy, bankid.state.slow, bankid.state.in_progress = 0, False, False


async def test_a_user_signs_in_with_bankid_over_mutual_tls(gw, bankid):
    started = await gw.client.post("/identity/bankid/auth")
    assert started.status_code == 200
    ref = started.json()["order_ref"]
    assert ref in bankid.state.orders  # the order is BankID's
    match = re.fullmatch(r"bankid\.([0-9a-f-]{36})\.(\d+)\.([0-9a-f]{64})", started.json()["qr"])
    assert match
    pending = (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()
    assert pending["status"] == "pending" and pending["hint_code"] == "outstandingTransaction"
    bankid.state.orders[ref] = {"status": "pending", "hintCode": "userSign"}
    assert (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()["hint_code"] == "userSign"
    bankid.state.orders[ref] = {"status": "complete", "completionData": {
        "user": {"personalNumber": "199001010017", "name": "Test Bankid", "givenName": "Test", "surname": "Bankid"},
        "device": {"ipAddress": "127.0.0.1", "uhi": "x"}, "bankIdIssueDate": "2026-01-01", "signature": "", "ocspResponse": ""}}
    done = (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()
    assert done["status"] == "complete" and done["name"] == "Test Bankid" and done["tokens"]["access_token"]
    again = (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()
    assert again["hint_code"] == "alreadyCollected"
    simulated = await gw.client.post("/identity/dev/bankid/sign", json={"order_ref": ref, "personal_number": "199001010017",
                                                                       "name": "X"})
    assert simulated.status_code == 404  # no simulator beside the real BankID


async def test_the_qr_is_the_same_function_as_the_stubs(gw):
    ref = uuid.UUID((await gw.client.post("/identity/bankid/auth")).json()["order_ref"])
    async with gw.app.state.db.transaction() as session:
        order = await gw.app.state.bankid.order(session, ref, lock=False)
        later = order.created_at + timedelta(seconds=7)
        assert gw.app.state.bankid.qr(order, later) == rules.qr_data(order.qr_start_token, order.qr_start_secret, 7)


async def test_cancel_reaches_bankid(gw, bankid):
    ref = (await gw.client.post("/identity/bankid/auth")).json()["order_ref"]
    assert (await gw.client.post("/identity/bankid/cancel", json={"order_ref": ref})).status_code == 204
    assert bankid.state.orders[ref]["hintCode"] == "cancelled"
    assert (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()["hint_code"] == "cancelled"


async def test_bankid_in_maintenance_is_asked_again(gw, bankid):
    bankid.state.busy = 2
    started = await gw.client.post("/identity/bankid/auth")
    assert started.status_code == 200 and bankid.state.busy == 0


async def test_bankids_refusals_are_problems(gw, bankid):
    bankid.state.in_progress = True
    busy = await gw.client.post("/identity/bankid/auth")
    assert busy.status_code == 409 and busy.json()["type"] == "/problems/bankid-already-in-progress"
    unknown = await gw.client.post("/identity/bankid/collect", json={"order_ref": str(uuid.uuid4())})
    assert unknown.status_code == 400 and unknown.json()["type"] == "/problems/bankid-invalid-parameters"


async def test_bankid_down_or_silent_is_a_503_problem(gw, bankid):
    bankid.state.busy = 10
    down = await gw.client.post("/identity/bankid/auth")
    assert down.status_code == 503 and down.json()["type"] == "/problems/bankid-unavailable"
    bankid.state.busy, bankid.state.slow = 0, True
    silent = await gw.client.post("/identity/bankid/auth")
    assert silent.status_code == 503 and silent.json()["type"] == "/problems/bankid-unavailable"


async def test_without_the_rp_certificate_bankid_does_not_talk_to_us(bankid, pki):
    """Mutual TLS is real: a client with another CA's certificate is refused in the handshake, and a
    server certificate from another CA is not trusted."""
    other_key, other_ca = _ca("Some other CA")
    stranger_key, stranger = _issue("Stranger", other_key, other_ca.subject)
    settings = GatewaySettings(environment="test", bankid_adapter="http", bankid_url=f"{bankid.state.url}/rp/v6.0",
                               bankid_timeout_s=0.5, bankid_attempts=1)
    stranger_rp = BankIdRp(settings, context=mutual_tls(_cert_pem(stranger).decode(), _pem(stranger_key).decode(), pki["ca"]))
    with pytest.raises(OutsideSystemError):
        await stranger_rp.call("auth", {"endUserIp": "127.0.0.1"})
    await stranger_rp.close()
    distrustful = BankIdRp(settings, context=mutual_tls(pki["client_cert"], pki["client_key"], _cert_pem(other_ca).decode()))
    with pytest.raises(OutsideSystemError):
        await distrustful.call("auth", {"endUserIp": "127.0.0.1"})
    await distrustful.close()
    trusted = BankIdRp(settings, context=mutual_tls(pki["client_cert"], pki["client_key"], pki["ca"]))
    assert "orderRef" in await trusted.call("auth", {"endUserIp": "127.0.0.1"})
    await trusted.close()


def test_production_needs_bankids_credentials_only_when_the_http_adapter_is_chosen():
    stub = GatewaySettings(environment="production", bankid_adapter="stub").problems()
    assert not [line for line in stub if "BANKID" in line]
    assert any(line.startswith("GATEWAY_BANKID_ADAPTER: not set") for line in GatewaySettings(environment="production").problems())
    http = {line.split(":")[0] for line in GatewaySettings(environment="production", bankid_adapter="http").problems()}
    assert http >= {"GATEWAY_BANKID_CLIENT_CERT_PEM", "GATEWAY_BANKID_CLIENT_KEY_PEM", "GATEWAY_BANKID_CA_PEM"}
