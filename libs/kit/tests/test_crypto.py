"""Envelope encryption: round trip, tampering, moving, rotation."""

import pytest

from kit.crypto import DecryptionError, KeyRing, Sealed, new_key


def test_round_trip_tamper_move_and_rotate():
    old, new = new_key(), new_key()
    ring = KeyRing({"k1": old}, current="k1")
    sealed = ring.seal("Anteckning: mår bättre".encode(), aad=b"note:1|client:a")
    assert ring.open(sealed, aad=b"note:1|client:a").decode() == "Anteckning: mår bättre"
    assert b"b\xc3\xa4ttre" not in sealed.ciphertext

    flipped = bytearray(sealed.ciphertext)
    flipped[0] ^= 1
    with pytest.raises(DecryptionError, match="tampered"):
        ring.open(Sealed(sealed.key_id, sealed.wrapped_key, sealed.nonce, bytes(flipped)), aad=b"note:1|client:a")
    with pytest.raises(DecryptionError):
        ring.open(sealed, aad=b"note:2|client:a")  # moved to another note

    rotated = KeyRing({"k1": old, "k2": new}, current="k2")
    key_id, wrapped = rotated.rewrap(sealed.key_id, sealed.wrapped_key)
    moved = Sealed(key_id, wrapped, sealed.nonce, sealed.ciphertext)  # the data itself is untouched
    assert key_id == "k2" and KeyRing({"k2": new}, "k2").open(moved, aad=b"note:1|client:a").startswith(b"Anteckning")
