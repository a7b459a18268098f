"""Pure identity rules: the password policy, login codes, the BankID animated QR code."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def password_problems(password: str, min_length: int) -> list[str]:
    """What a chosen password lacks (empty when it is good enough). The seed's 5 characters are too weak."""
    problems = []
    if len(password) < min_length:
        problems.append(f"at least {min_length} characters")
    if not any(c.islower() for c in password):
        problems.append("a lower-case letter")
    if not any(c.isupper() for c in password):
        problems.append("an upper-case letter")
    if not any(not c.isalpha() for c in password):
        problems.append("a digit or another character that is not a letter")
    return problems


def new_code() -> str:
    """Six random digits (a cryptographic source)."""
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_code(code: str, attempt_id: str) -> str:
    """The code bound to its login attempt: the same code for another attempt has another hash."""
    return hashlib.sha256(f"{attempt_id}:{code}".encode()).hexdigest()


def codes_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def qr_data(qr_start_token: str, qr_start_secret: str, seconds: int) -> str:
    """BankID's animated QR: ``bankid.<qrStartToken>.<seconds since the order>.<HMAC-SHA256(secret, seconds)>``."""
    auth_code = hmac.new(qr_start_secret.encode(), str(seconds).encode(), hashlib.sha256).hexdigest()
    return f"bankid.{qr_start_token}.{seconds}.{auth_code}"


def identity_hmac(key: str, number: str) -> str:
    """The look-up form of a personal identity number: keyed, so a database dump does not reveal it."""
    return hmac.new(key.encode(), number.encode(), hashlib.sha256).hexdigest()
