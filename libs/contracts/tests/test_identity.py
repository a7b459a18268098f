"""Identity numbers: valid ones pass (normalised), every kind of wrong one is refused with a reason.
Only synthetic test numbers (Skatteverket-style 19121212-1212) and computed ones are used."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from contracts.identity import (
    IdentityNumberError,
    SwedishPersonalNumber,
    dutch_bsn,
    hsa_id,
    luhn_ok,
    mask,
    norwegian_birth_number,
    swedish_personal_number,
)


def with_check_digit(first_eleven: str) -> str:
    """A 12-digit Swedish number with its Luhn digit computed."""
    for digit in "0123456789":
        if luhn_ok(first_eleven[2:] + digit):
            return first_eleven + digit
    raise AssertionError


def test_swedish_numbers():
    assert swedish_personal_number("191212121212") == "191212121212"
    assert swedish_personal_number("19121212-1212") == "191212121212"
    coordination = with_check_digit("19121272123")  # day 12 + 60
    assert swedish_personal_number(coordination) == coordination


@pytest.mark.parametrize(("value", "reason"), [
    ("191212121213", "check digit"),
    ("1912121212", "12 digits"),
    ("19121212+1212", "12 digits"),
    ("abcdefghijkl", "12 digits"),
    (with_check_digit("19130230123"), "real date"),   # 30 February
    (with_check_digit("19121292123"), "real date"),   # samordningsnummer day 32
])
def test_swedish_numbers_refused(value, reason):
    with pytest.raises(IdentityNumberError, match=reason):
        swedish_personal_number(value)


def test_as_a_pydantic_field():
    class Person(BaseModel):
        personal_number: SwedishPersonalNumber

    assert Person(personal_number="19121212-1212").personal_number == "191212121212"
    with pytest.raises(ValidationError, match="check digit"):
        Person(personal_number="191212121213")


def test_norwegian_numbers():
    assert norwegian_birth_number("01010101006") == "01010101006"
    with pytest.raises(IdentityNumberError, match="control digits"):
        norwegian_birth_number("01010101007")
    with pytest.raises(IdentityNumberError, match="11 digits"):
        norwegian_birth_number("0101010100")
    assert norwegian_birth_number("41010101180")  # a D-number (day + 40)


def test_dutch_bsn():
    assert dutch_bsn("111222333") == "111222333"
    assert dutch_bsn("123456782") == "123456782"
    with pytest.raises(IdentityNumberError, match="11-proof"):
        dutch_bsn("123456789")
    with pytest.raises(IdentityNumberError, match="9 digits"):
        dutch_bsn("12345678")


def test_hsa_id():
    assert hsa_id("se2321000016-abc1") == "SE2321000016-ABC1"
    with pytest.raises(IdentityNumberError, match="looks like"):
        hsa_id("SE2321000016ABC")
    with pytest.raises(IdentityNumberError, match="check digit"):
        hsa_id("SE2321000017-ABC")


def test_mask():
    assert mask("191212121212") == "19121212-****"
