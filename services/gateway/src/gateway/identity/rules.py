"""Pure identity rules: the password policy, login codes, the BankID animated QR code."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from zxcvbn import zxcvbn

#: Passwords every attacker knows: the demo accounts' (gateway.seed, the README). The seed sets its hash
#: directly; a person can never choose it.
PUBLISHED_PASSWORDS = ("Demo-Password-2026",)
#: zxcvbn's score (0..4) a chosen password needs: 3 is "safely unguessable" against an offline attack of
#: 10^8 guesses, and far beyond what the login throttle lets through online.
MIN_STRENGTH = 3


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


def weakness(password: str, user_inputs: Iterable[str | None] = ()) -> list[str]:
    """Why ``password`` is too easy to guess (zxcvbn's feedback; empty when it scores ``MIN_STRENGTH``).
    The person's own names, email and username and the published passwords count as known words, so
    "Svensson2026!" or a variation of the demo password scores low. zxcvbn is slow on long input and
    refuses more than 72 characters: the first 72 decide (a longer password is strong for its length)."""
    known = [*PUBLISHED_PASSWORDS]
    for item in user_inputs:
        if item:
            known += [item, *item.replace("@", " ").replace(".", " ").split()]
    result = zxcvbn(password[:72], user_inputs=known)
    if result["score"] >= MIN_STRENGTH:
        return []
    feedback = result["feedback"]
    reasons = ([feedback["warning"]] if feedback.get("warning") else []) + list(feedback.get("suggestions") or [])
    return reasons or ["it is too easy to guess; add a few uncommon words"]


#: Roles whose accounts are for work, not for being cared for
STAFF_ROLES = frozenset({"admin", "therapist", "prescriber", "aid_centre_staff", "care_coordinator"})


def credentials_purpose(roles: Iterable[str], creator_roles: Iterable[str]) -> str:
    """Which product a temporary password's mail names: staff work for any staff role; the marketplace
    for a client a therapist made; the client portal for the clients and representatives others make."""
    if STAFF_ROLES.intersection(roles):
        return "staff"
    creator = set(creator_roles)
    if "therapist" in creator and not {"care_coordinator", "admin"} & creator:
        return "marketplace"
    return "portal"


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


def mask_email(email: str) -> str:
    """``a***@example.org``: enough for the person to recognise their own address, too little to learn it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_phone(phone: str) -> str:
    """``+4670*****01``: the country and operator prefix and the last two digits."""
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:5] + "*" * (len(phone) - 7) + phone[-2:]


def awaits_confirmation(created_by: object, personal_number_hmac: str | None, confirmed_at: object) -> bool:
    """An account someone else made with a personal number is the person's only once they confirm it on
    their own BankID login; accounts the person made themselves (BankID, sign-up, the seed) need nothing."""
    return created_by is not None and personal_number_hmac is not None and confirmed_at is None
