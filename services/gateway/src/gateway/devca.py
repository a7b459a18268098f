"""A development SITHS CA (GW-2): certificates shaped like SITHS e-id person certificates, for `make run`
and the tests, so SITHS works the way it does in production (a verified client certificate) everywhere.

``python -m gateway devca`` (run by `make run`) writes, idempotently, into ``var/siths/``:

- ``ca.pem`` (and ``ca-key.pem``): the development CA; ``GATEWAY_SITHS_CA_BUNDLE`` points at it;
- ``<username>.pem`` and ``<username>-key.pem`` for every demo person with an HSA-ID (``kit.demo``):
  subject ``serialNumber`` = the HSA-ID, key usage digitalSignature, extended key usage clientAuth;
- ``gateway.pem`` and ``gateway-key.pem``: the server certificate of the gateway's mutual-TLS port
  (localhost, 127.0.0.1), issued by the same CA, so ``curl --cacert var/siths/ca.pem`` trusts it.

The CA key is made on this machine and never leaves it; nothing here is a secret in the source. Keys are
ECDSA P-256 (quick to make; the verifier takes RSA as real SITHS cards carry just as well).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DIRECTORY = Path("var/siths")
#: Re-issue a certificate when it has less than this left.
RENEW_BEFORE = timedelta(days=30)
PERSON_VALIDITY = timedelta(days=2 * 365)
#: The header a TLS-terminating proxy puts the client certificate in (nginx: ``$ssl_client_escaped_cert``).
PROXY_HEADER = "X-SSL-Client-Cert"


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def cert_pem(self) -> str:
        return _pem(self.cert)

    @property
    def key_pem(self) -> str:
        return _key_pem(self.key)

    def proxy_header(self) -> dict[str, str]:
        """The header a TLS-terminating proxy sends for this certificate (URL-encoded PEM, as nginx does)."""
        return {PROXY_HEADER: quote(self.cert_pem, safe="")}

    def write(self, cert_path: Path, key_path: Path) -> None:
        key_path.write_text(self.key_pem)
        os.chmod(key_path, 0o600)
        cert_path.write_text(self.cert_pem)


@dataclass(frozen=True)
class DevelopmentCa:
    """A self-signed CA that issues SITHS-shaped person certificates and a TLS server certificate."""

    root: Issued

    @classmethod
    def create(cls, name: str = "Development SITHS CA", *, now: datetime | None = None) -> DevelopmentCa:
        now = now or datetime.now(UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Care platform development"),
                             x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=10 * 365))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                             crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        return cls(Issued(cert, key))

    @property
    def pem(self) -> str:
        return self.root.cert_pem

    def _builder(self, subject: x509.Name, key: ec.EllipticCurvePrivateKey, not_before: datetime,
                 not_after: datetime) -> x509.CertificateBuilder:
        public = key.public_key()
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(self.root.cert.subject).public_key(public)
                .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root.key.public_key()),
                               critical=False))

    def issue_person(self, hsa_id: str, name: str, *, not_before: datetime | None = None,
                     not_after: datetime | None = None, digital_signature: bool = True,
                     client_auth: bool = True) -> Issued:
        """A SITHS-shaped person certificate: the HSA-ID in the subject's serialNumber (OID 2.5.4.5)."""
        now = datetime.now(UTC)
        not_before = not_before or now - timedelta(minutes=5)
        not_after = not_after or now + PERSON_VALIDITY
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "SE"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Region"),
                             x509.NameAttribute(NameOID.COMMON_NAME, name),
                             x509.NameAttribute(NameOID.SERIAL_NUMBER, hsa_id)])
        usage = x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                              key_encipherment=not digital_signature, data_encipherment=False, key_agreement=False,
                              key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
        purposes = [ExtendedKeyUsageOID.CLIENT_AUTH] if client_auth else [ExtendedKeyUsageOID.EMAIL_PROTECTION]
        cert = (self._builder(subject, key, not_before, not_after)
                .add_extension(usage, critical=True)
                .add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
                .sign(self.root.key, hashes.SHA256()))
        return Issued(cert, key)

    def issue_server(self, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")) -> Issued:
        """The TLS server certificate of the gateway's mutual-TLS port."""
        now = datetime.now(UTC)
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        cert = (self._builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]), key,
                              now - timedelta(minutes=5), now + PERSON_VALIDITY)
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                             crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(self.root.key, hashes.SHA256()))
        return Issued(cert, key)

    def issued(self, cert: x509.Certificate, now: datetime | None = None) -> bool:
        """Whether ``cert`` is this CA's and still has more than :data:`RENEW_BEFORE` to run."""
        now = now or datetime.now(UTC)
        try:
            cert.verify_directly_issued_by(self.root.cert)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return cert.not_valid_after_utc - now > RENEW_BEFORE

    # -- files ---------------------------------------------------------------------------------------------
    @classmethod
    def load_or_create(cls, directory: Path = DIRECTORY) -> DevelopmentCa:
        cert_path, key_path = directory / "ca.pem", directory / "ca-key.pem"
        if cert_path.exists() and key_path.exists():
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if isinstance(key, ec.EllipticCurvePrivateKey) and cert.not_valid_after_utc - datetime.now(UTC) > RENEW_BEFORE:
                return cls(Issued(cert, key))
        directory.mkdir(parents=True, exist_ok=True)
        ca = cls.create()
        ca.root.write(cert_path, key_path)
        return ca

    def ensure(self, directory: Path, stem: str, make: Callable[[], Issued]) -> bool:
        """Write ``<stem>.pem`` and ``<stem>-key.pem`` unless a good one is there; True when written."""
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}-key.pem"
        if cert_path.exists() and key_path.exists():
            try:
                if self.issued(x509.load_pem_x509_certificate(cert_path.read_bytes())):
                    return False
            except ValueError:
                pass
        make().write(cert_path, key_path)
        return True


def people() -> list[tuple[str, str, str]]:
    """(username, display name, HSA-ID) of the demo people (kit.demo) that sign in with SITHS."""
    from kit.demo import PEOPLE

    return [(p.username, p.display_name, p.hsa_id) for p in PEOPLE if p.hsa_id]


def write_development_ca(directory: Path = DIRECTORY) -> list[str]:
    """The development CA, the demo users' certificates and the mTLS server certificate; idempotent.
    Returns the names of the files (re)written."""
    ca = DevelopmentCa.load_or_create(directory)
    written = []
    for username, name, hsa in people():
        if ca.ensure(directory, username, lambda hsa=hsa, name=name: ca.issue_person(hsa, name)):
            written.append(f"{username}.pem")
    if ca.ensure(directory, "gateway", ca.issue_server):
        written.append("gateway.pem")
    return written


async def devca() -> None:
    """``python -m gateway devca``."""
    written = write_development_ca()
    print(f"development SITHS CA ready in {DIRECTORY}/ ({len(people())} demo users"
          f"{'; issued ' + ', '.join(written) if written else ''})")


# -- tests -------------------------------------------------------------------------------------------------
_TEST_CA: DevelopmentCa | None = None


def ca_for_tests() -> DevelopmentCa:
    """One CA per test process: the gateway under test trusts ``ca_for_tests().pem``. (Not named test…:
    pytest would collect it from a test module that imports it.)"""
    global _TEST_CA
    if _TEST_CA is None:
        _TEST_CA = DevelopmentCa.create("Test SITHS CA")
    return _TEST_CA


def siths_headers(hsa_id: str, name: str = "Test SITHS User") -> dict[str, str]:
    """Headers of a SITHS login through the TLS-terminating proxy: a fresh certificate from the test CA.
    The gateway must trust the test CA (``siths_ca_bundle=ca_for_tests().pem``) and the peer 127.0.0.1
    (``trusted_proxies=["127.0.0.1"]``)."""
    return ca_for_tests().issue_person(hsa_id, name).proxy_header()
