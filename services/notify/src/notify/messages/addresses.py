"""Address checks before anything is sent: a bad address is a permanent failure, not a retry loop."""

from __future__ import annotations

import re

EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
PHONE = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164


def valid_email(address: str | None) -> bool:
    return bool(address) and len(address) <= 254 and EMAIL.match(address) is not None  # type: ignore[arg-type]


def valid_phone(number: str | None) -> bool:
    return bool(number) and PHONE.match(number) is not None  # type: ignore[arg-type]
