"""Client certificates: a service's own mutual-TLS port, and the certificate a trusted proxy forwards.

Uvicorn (0.54) verifies a client certificate when asked (``ssl_cert_reqs``, ``ssl_ca_certs``) but does
not show it to the application: the ASGI TLS extension (``scope["extensions"]["tls"]``) is not
implemented there yet (encode/uvicorn#1118, PRs #3132/#3133 open). So a mutual-TLS port runs uvicorn
with :class:`ClientCertProtocol`, an HTTP protocol that reads the peer certificate from the connection's
``ssl_object`` once per connection and puts it in every request's scope in the shape of the ASGI TLS
extension (``client_cert_chain``: PEM strings, the client's own certificate first). When uvicorn ships
the extension itself, the same scope key is filled by uvicorn and :func:`presented_certificates` reads
it unchanged.

Behind a TLS-terminating proxy the certificate arrives in a header instead (nginx:
``proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;``, the URL-encoded PEM). Anyone can send
that header, so it is read only when the direct peer is one of the configured trusted proxies
(``kit.net``). Either way the certificate is only *presented*: verifying it is the caller's job.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from cryptography import x509
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from kit.net import is_trusted, peer

#: Nobody sends a longer certificate chain header; a longer one is not parsed.
MAX_HEADER_CHARS = 64 * 1024


def tls_extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI TLS extension for a connection, or None when it is not TLS. Python 3.13 gives the whole
    chain the client sent; before it only the client's own certificate is reachable."""
    ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    chain: list[bytes] = []
    if hasattr(ssl_object, "get_unverified_chain"):  # Python 3.13+
        chain = [bytes(der) for der in (ssl_object.get_unverified_chain() or [])]
    if not chain and (leaf := ssl_object.getpeercert(binary_form=True)):
        chain = [leaf]
    cipher = ssl_object.cipher()
    return {"server_cert": None, "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der) for der in chain],
            "client_cert_name": None, "client_cert_error": None, "tls_version": None, "cipher_suite": None,
            "version": ssl_object.version(), "cipher": cipher[0] if cipher else None}


class _WithTls:
    """The app, with one connection's TLS extension added to each request's scope."""

    def __init__(self, app: ASGIApp, tls: dict[str, Any]) -> None:
        self.app = app
        self.tls = tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["extensions"] = {**(scope.get("extensions") or {}), "tls": self.tls}
        await self.app(scope, receive, send)


class ClientCertProtocol(H11Protocol):
    """Uvicorn's h11 protocol, adding the ASGI TLS extension (with the client's certificate) to the
    scope. Use it as ``uvicorn.Config(http=ClientCertProtocol, ssl_cert_reqs=ssl.CERT_REQUIRED, …)``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        tls = tls_extension(transport)
        if tls is not None:
            self.app = _WithTls(self.app, tls)  # this protocol object serves this one connection


def _parse(pems: Iterable[str]) -> list[x509.Certificate]:
    found: list[x509.Certificate] = []
    for pem in pems:
        found.extend(x509.load_pem_x509_certificates(pem.encode("ascii")))
    return found


def presented_certificates(connection: HTTPConnection, *, header: str,
                           trusted_proxies: Iterable[str]) -> list[x509.Certificate]:
    """The certificate chain the client presented (its own certificate first), not yet verified: from
    this connection's TLS when the client connected to a mutual-TLS port, else from ``header`` when the
    direct peer is a trusted proxy. Empty when there is none, or what was sent does not parse."""
    tls = (connection.scope.get("extensions") or {}).get("tls")
    try:
        if tls and tls.get("client_cert_chain"):
            return _parse(tls["client_cert_chain"])
        value = connection.headers.get(header)
        if not value or len(value) > MAX_HEADER_CHARS or not is_trusted(peer(connection), trusted_proxies):
            return []
        return _parse([unquote(value)])
    except (ValueError, UnicodeError):
        return []
