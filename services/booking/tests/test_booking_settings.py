"""Booking's own production rules: the current journal key is in the key ring, every key is 32 bytes."""

import base64

from booking.settings import Settings

KEY = base64.b64encode(b"k" * 32).decode()
REAL = {"environment": "production", "amqp_url": "amqp://bk:s3cret@rabbitmq:5672/", "licence_register": "stub"}


def test_a_real_key_ring_with_its_current_key_is_accepted():
    assert Settings(**REAL, journal_keys={"k1": KEY}, journal_key_current="k1").problems() == []


def test_the_current_key_must_be_in_the_ring():
    assert Settings(**REAL, journal_keys={"k1": KEY}, journal_key_current="k2").problems() == [
        "BOOKING_JOURNAL_KEY_CURRENT: no key with this id in BOOKING_JOURNAL_KEYS"]


def test_every_key_is_base64_of_32_bytes():
    short = base64.b64encode(b"k" * 16).decode()
    assert Settings(**REAL, journal_keys={"k1": KEY, "k0": short}, journal_key_current="k1").problems() == [
        "BOOKING_JOURNAL_KEYS: key 'k0' is not base64 of 32 bytes"]
    assert Settings(**REAL, journal_keys={"k1": "not base64!"}, journal_key_current="k1").problems() == [
        "BOOKING_JOURNAL_KEYS: key 'k1' is not base64 of 32 bytes"]


def test_the_development_key_is_refused():
    assert Settings(**REAL).problems() == ["BOOKING_JOURNAL_KEYS: missing, or holds a development key"]
