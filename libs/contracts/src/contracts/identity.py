"""Personal identity numbers and HSA-IDs: validated where they enter, as plain functions and as
pydantic field types. Each error says what is wrong. ``mask`` shows a number without revealing it.

- Swedish personnummer / samordningsnummer: 12 digits YYYYMMDDNNNC (a hyphen before the last four is
  accepted); a real date (samordningsnummer: day + 60); Luhn check digit over the last ten digits.
- Norwegian fødselsnummer: 11 digits DDMMYYIIIKK; both mod-11 control digits; D-numbers (day + 40)
  and H-numbers (month + 40) accepted.
- Dutch BSN: 9 digits passing the 11-proof (weights 9..2 and -1).
- HSA-ID (SITHS): "SE" + 10-digit organisation number (Luhn) + "-" + 1..31 letters or digits.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator


class IdentityNumberError(ValueError):
    pass


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return total % 10 == 0


def swedish_personal_number(value: str) -> str:
    """Normalise and validate a Swedish personnummer or samordningsnummer; returns 12 digits."""
    text = value.strip()
    if re.fullmatch(r"\d{8}-\d{4}", text):
        text = text.replace("-", "")
    if not re.fullmatch(r"\d{12}", text):
        raise IdentityNumberError("a Swedish personal identity number has 12 digits: YYYYMMDDNNNC")
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:8])
    if day > 60:
        day -= 60  # samordningsnummer
    try:
        date(year, month, day)
    except ValueError as exc:
        raise IdentityNumberError(f"{text[:8]} is not a real date of birth") from exc
    if not luhn_ok(text[2:]):
        raise IdentityNumberError("the check digit of the personal identity number is wrong")
    return text


def norwegian_birth_number(value: str) -> str:
    """Validate a Norwegian fødselsnummer (or D-/H-number); returns its 11 digits."""
    text = value.strip().replace(" ", "")
    if not re.fullmatch(r"\d{11}", text):
        raise IdentityNumberError("a Norwegian fødselsnummer has 11 digits")
    digits = [int(c) for c in text]
    k1 = 11 - sum(w * d for w, d in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), digits[:9], strict=True)) % 11
    k2 = 11 - sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), digits[:10], strict=True)) % 11
    k1, k2 = (0 if k1 == 11 else k1), (0 if k2 == 11 else k2)
    if k1 == 10 or k2 == 10 or (k1, k2) != (digits[9], digits[10]):
        raise IdentityNumberError("the control digits of the fødselsnummer are wrong")
    day, month = int(text[:2]), int(text[2:4])
    day -= 40 if day > 40 else 0      # D-number
    month -= 40 if month > 40 else 0  # H-number
    if not (1 <= day <= 31 and 1 <= month <= 12):
        raise IdentityNumberError("the fødselsnummer does not start with a real date")
    return text


def dutch_bsn(value: str) -> str:
    """Validate a Dutch burgerservicenummer (11-proof); returns its 9 digits."""
    text = value.strip().replace(".", "").replace(" ", "")
    if not re.fullmatch(r"\d{9}", text):
        raise IdentityNumberError("a BSN has 9 digits")
    total = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2, -1), text, strict=True))
    if total % 11 != 0 or total == 0:
        raise IdentityNumberError("the BSN does not pass the 11-proof")
    return text


def hsa_id(value: str) -> str:
    """Validate an HSA-ID: SE + 10-digit organisation number + '-' + suffix; returns it in upper case."""
    text = value.strip().upper()
    match = re.fullmatch(r"SE(\d{10})-([A-Z0-9]{1,31})", text)
    if not match:
        raise IdentityNumberError("an HSA-ID looks like SE2321000016-ABCD: SE, a 10-digit organisation number, '-', a suffix")
    if not luhn_ok(match[1]):
        raise IdentityNumberError("the organisation number in the HSA-ID has a wrong check digit")
    return text


def mask(number: str) -> str:
    """``191212121212`` → ``19121212-****``: enough for a person to recognise, not to use."""
    digits = re.sub(r"\D", "", number)
    if len(digits) == 12:
        return f"{digits[:8]}-****"
    return digits[:6] + "*" * max(len(digits) - 6, 0)


SwedishPersonalNumber = Annotated[str, AfterValidator(swedish_personal_number)]
NorwegianBirthNumber = Annotated[str, AfterValidator(norwegian_birth_number)]
DutchBsn = Annotated[str, AfterValidator(dutch_bsn)]
HsaId = Annotated[str, AfterValidator(hsa_id)]
