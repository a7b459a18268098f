"""Signed cookies and CSRF protection for the web app's forms.

A cookie's value is ``<value>.<HMAC-SHA256(secret, name:value)>``, so it cannot be forged or moved to
another cookie name. Forms carry a CSRF token derived from a random value in the signed, HttpOnly,
SameSite=Strict ``web_csrf`` cookie (double submit, keyed): a page elsewhere can neither read the cookie
nor compute the token, and a cross-site POST does not even send the cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets

CSRF_COOKIE = "web_csrf"
CSRF_FIELD = "csrf_token"


def _mac(secret: str, name: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{name}:{value}".encode(), hashlib.sha256).hexdigest()


def sign(secret: str, name: str, value: str) -> str:
    return f"{value}.{_mac(secret, name, value)}"


def unsign(secret: str, name: str, signed: str | None) -> str | None:
    """The value of a signed cookie, or None when it is missing or not ours."""
    if not signed or "." not in signed:
        return None
    value, _, mac = signed.rpartition(".")
    return value if hmac.compare_digest(mac, _mac(secret, name, value)) else None


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(secret: str, nonce: str) -> str:
    """The form field's value for the cookie's nonce."""
    return _mac(secret, "csrf-form", nonce)


def csrf_ok(secret: str, cookie: str | None, submitted: str | None) -> bool:
    nonce = unsign(secret, CSRF_COOKIE, cookie)
    return bool(nonce and submitted) and hmac.compare_digest(csrf_token(secret, nonce), submitted or "")
