"""The SITHS certificate rules (gateway.adapters.siths) on certificates of a development CA: which
certificates give an HSA-ID and why the others do not. The whole login is in tests/test_gateway_identity.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.requests import Request

from gateway.adapters.siths import CertificateRefused, CertificateVerifier, load_bundle
from gateway.devca import DevelopmentCa, write_development_ca
from kit import demo
from kit.tls import presented_certificates

CA = DevelopmentCa.create()
VERIFIER = CertificateVerifier.from_bundle(CA.pem)
HSA = "SE2321000016-DEMO1"


def reason(chain: list[x509.Certificate], verifier: CertificateVerifier = VERIFIER) -> str:
    with pytest.raises(CertificateRefused) as refused:
        verifier.hsa_id(chain)
    assert refused.value.status == 401 and HSA not in refused.value.detail
    return refused.value.reason


def test_a_person_certificate_of_the_ca_gives_its_hsa_id_in_upper_case():
    assert VERIFIER.hsa_id([CA.issue_person(HSA.lower(), "Demo Förskrivare").cert]) == HSA


def test_a_certificate_without_an_extended_key_usage_is_accepted():
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Demo"), x509.NameAttribute(NameOID.SERIAL_NUMBER, HSA)])
    cert = (CA._builder(subject, key, now - timedelta(minutes=1), now + timedelta(days=1))
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .sign(CA.root.key, hashes.SHA256()))
    assert VERIFIER.hsa_id([cert]) == HSA


def test_what_is_refused_and_why():
    now = datetime.now(UTC)
    old = CA.issue_person(HSA, "X", not_before=now - timedelta(days=9), not_after=now - timedelta(days=1))
    assert "expired" in reason([old.cert])
    assert "not valid yet" in reason([CA.issue_person(HSA, "X", not_before=now + timedelta(days=1)).cert])
    not_trusted = "not issued by a trusted SITHS CA, or not usable for signing in"
    assert reason([DevelopmentCa.create("Another CA").issue_person(HSA, "X").cert]) == not_trusted
    assert reason([CA.issue_person(HSA, "X", client_auth=False).cert]) == not_trusted  # e-mail protection only
    assert reason([CA.issue_person(HSA, "X", digital_signature=False).cert]) == not_trusted
    assert reason([CA.root.cert]) == not_trusted  # the CA itself is no person
    assert reason([CA.issue_server().cert]) == not_trusted
    assert "not an HSA-ID" in reason([CA.issue_person("SE2321000017-DEMO1", "X").cert])  # wrong Luhn digit
    assert reason([]) == "none was presented"
    assert reason([CA.issue_person(HSA, "X").cert], CertificateVerifier([])) == "no SITHS CA is configured"


def test_the_bundle_is_a_path_or_the_pem_itself(tmp_path):
    (tmp_path / "bundle.pem").write_text(CA.pem + DevelopmentCa.create("Second").pem)
    assert len(load_bundle(str(tmp_path / "bundle.pem"))) == 2
    assert load_bundle(CA.pem)[0] == CA.root.cert
    assert load_bundle("  ") == []


def request(headers: dict[str, str], peer: str) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw, "client": (peer, 5000)})


def test_the_proxy_header_counts_only_from_a_trusted_peer():
    card = CA.issue_person(HSA, "Demo")
    header = card.proxy_header()
    assert presented_certificates(request(header, "10.0.0.5"), header="X-SSL-Client-Cert",
                                  trusted_proxies=["10.0.0.0/24"]) == [card.cert]
    assert presented_certificates(request(header, "10.0.1.5"), header="X-SSL-Client-Cert",
                                  trusted_proxies=["10.0.0.0/24"]) == []
    chain = {"X-SSL-Client-Cert": quote(card.cert_pem + CA.pem)}  # a proxy that sends the chain
    assert len(presented_certificates(request(chain, "10.0.0.5"), header="x-ssl-client-cert",
                                      trusted_proxies=["10.0.0.5"])) == 2
    garbled = {"X-SSL-Client-Cert": "-----BEGIN CERTIFICATE-----%0Anot base64%0A-----END CERTIFICATE-----"}
    assert presented_certificates(request(garbled, "10.0.0.5"), header="X-SSL-Client-Cert", trusted_proxies=["10.0.0.5"]) == []


def test_the_development_ca_files_are_written_once(tmp_path):
    first = write_development_ca(tmp_path)
    # one card per SITHS person of kit.demo: aid-centre staff, prescribers, controllers
    assert sorted(first) == sorted([f"{p.username}.pem" for p in demo.PEOPLE if p.hsa_id] + ["gateway.pem"])
    assert {"demo.aidcentre.pem", "demo.prescriber2.pem", "demo.controller.pem", "demo.controller2.pem"} <= set(first)
    ca_before = (tmp_path / "ca.pem").read_text()
    assert write_development_ca(tmp_path) == []
    assert (tmp_path / "ca.pem").read_text() == ca_before
    verifier = CertificateVerifier.from_bundle(str(tmp_path / "ca.pem"))
    card = x509.load_pem_x509_certificate((tmp_path / "demo.prescriber.pem").read_bytes())
    assert verifier.hsa_id([card]) == "SE2321000016-DEMO1"
    assert oct((tmp_path / "demo.prescriber-key.pem").stat().st_mode & 0o777) == "0o600"
