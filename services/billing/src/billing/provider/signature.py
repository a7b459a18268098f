"""Webhook signatures: ``Provider-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

The timestamp is signed with the body, so an old request replayed later is refused even with a valid
signature; comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Provider-Signature"


class SignatureError(ValueError):
    pass


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(secret: str, body: bytes, header: str | None, *, tolerance_s: int, now: float | None = None) -> None:
    """Raise ``SignatureError`` saying what is wrong, or return when the signature is good and fresh."""
    if not header:
        raise SignatureError(f"missing {HEADER} header")
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as exc:
        raise SignatureError(f"malformed {HEADER} header") from exc
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise SignatureError("signature does not match")
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > tolerance_s:
        raise SignatureError(f"signature timestamp is {age:.0f} s old; at most {tolerance_s} s is accepted")
