"""SITHS (GW-2): who a client is, from the client certificate on their SITHS card, never from what they send.

A SITHS e-id person certificate carries the holder's HSA-ID in the subject's ``serialNumber`` attribute
(OID 2.5.4.5). The certificate reaches the gateway either through its own mutual-TLS port or from the
TLS-terminating proxy in front of it (``kit.tls.presented_certificates``); either way it is verified
here before the HSA-ID in it counts:

- the chain up to a CA of the configured bundle (``GATEWAY_SITHS_CA_BUNDLE``), by ``cryptography``'s
  RFC 5280 path validation (``x509.verification``: signatures, CA constraints, validity of every
  certificate in the chain at this moment);
- the client's certificate is not a CA, its key usage allows digitalSignature, and an extended key usage,
  when present, includes clientAuth;
- the subject's serialNumber is a well-formed HSA-ID.

There is no stub that takes an HSA-ID: development and the tests use certificates from a development CA
(``gateway.devca``), so the path that runs is the production one. Not checked here: revocation (CRL or
OCSP), which the proxy or a later adapter can add.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from contracts.identity import IdentityNumberError, hsa_id
from kit.problems import Problem
from kit.tls import ClientCertProtocol


class CertificateRefused(Problem):
    """No SITHS certificate, or one that does not hold: 401. ``reason`` is short and fixed (it goes to
    the login audit); neither it nor the detail names the certificate or the HSA-ID."""

    def __init__(self, slug: str, reason: str) -> None:
        super().__init__(401, slug, f"SITHS login needs a valid SITHS client certificate: {reason}")
        self.reason = reason


def missing() -> CertificateRefused:
    return CertificateRefused("siths-certificate-required", "none was presented")


def refused(reason: str) -> CertificateRefused:
    return CertificateRefused("siths-certificate-refused", reason)


class SithsVerifier(Protocol):
    def hsa_id(self, chain: Sequence[x509.Certificate], *, now: datetime | None = None) -> str:
        """The HSA-ID of the verified client certificate ``chain[0]`` (``chain[1:]`` its intermediates);
        raises :class:`CertificateRefused`."""
        ...


def load_bundle(bundle: str) -> list[x509.Certificate]:
    """``GATEWAY_SITHS_CA_BUNDLE``: the PEM itself, or the path of a PEM file; empty → no CA."""
    text = bundle.strip()
    if not text:
        return []
    pem = text.encode() if text.startswith("-----BEGIN") else Path(text).read_bytes()
    return x509.load_pem_x509_certificates(pem)


def _client_auth(_policy: object, _cert: x509.Certificate, usage: x509.ExtendedKeyUsage | None) -> None:
    if usage is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in usage and \
            ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in usage:
        raise ValueError("extended key usage without clientAuth")


def _digital_signature(_policy: object, _cert: x509.Certificate, usage: x509.KeyUsage) -> None:
    if not usage.digital_signature:
        raise ValueError("key usage without digitalSignature")


#: The client certificate's own rules (the CA certificates get cryptography's Web PKI CA rules). SITHS
#: person certificates need no subjectAltName.
CLIENT_POLICY = (ExtensionPolicy.webpki_defaults_ee()
                 .may_be_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
                 .require_present(x509.KeyUsage, Criticality.AGNOSTIC, _digital_signature)
                 .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _client_auth))


class CertificateVerifier:
    """Verifies SITHS client certificates against a CA bundle (see the module docstring)."""

    def __init__(self, anchors: Sequence[x509.Certificate]) -> None:
        self.store = Store(list(anchors)) if anchors else None

    @classmethod
    def from_bundle(cls, bundle: str) -> CertificateVerifier:
        return cls(load_bundle(bundle))

    def hsa_id(self, chain: Sequence[x509.Certificate], *, now: datetime | None = None) -> str:
        if not chain:
            raise missing()
        if self.store is None:
            raise refused("no SITHS CA is configured")
        now = now or datetime.now(UTC)
        leaf = chain[0]
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise refused("the certificate has expired or is not valid yet")
        verifier = (PolicyBuilder().store(self.store).time(now)
                    .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=CLIENT_POLICY)
                    .build_client_verifier())
        try:
            verifier.verify(leaf, list(chain[1:]))
        except VerificationError:  # its text names the certificate's subject: not for the caller or the log
            raise refused("not issued by a trusted SITHS CA, or not usable for signing in") from None
        serials = leaf.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        if len(serials) != 1:
            raise refused("the certificate's subject has no single serialNumber (HSA-ID)")
        try:
            return hsa_id(str(serials[0].value))
        except IdentityNumberError:
            raise refused("the subject's serialNumber is not an HSA-ID") from None


def mtls_listener(settings: Any) -> dict[str, Any] | None:
    """The gateway's mutual-TLS port (``GATEWAY_MTLS_PORT``; 0 is off), a ``kit.service`` listener: the TLS
    handshake already demands a client certificate from the SITHS CA bundle (``ssl.CERT_REQUIRED``; a
    client without one never gets a request through), and :class:`kit.tls.ClientCertProtocol` hands that
    certificate to the routes, where :class:`CertificateVerifier` checks it again, as it does a
    proxy's."""
    if not settings.mtls_port:
        return None
    anchors = load_bundle(settings.siths_ca_bundle)
    cadata = "".join(cert.public_bytes(serialization.Encoding.PEM).decode() for cert in anchors)

    def context(_config: Any, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        made = default()
        made.load_verify_locations(cadata=cadata)
        return made

    return {"port": settings.mtls_port, "ssl_certfile": settings.mtls_certfile, "ssl_keyfile": settings.mtls_keyfile,
            "ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_context_factory": context, "http": ClientCertProtocol}
