"""Envelope encryption with AES-GCM (cryptography): data encrypted at rest, keys that can rotate.

Each item gets its own data key (DEK); the data is encrypted with it and bound to ``aad`` (e.g. the note
and client ids), so a ciphertext moved to another row does not decrypt. The DEK is stored wrapped by a
key-encryption key (KEK) from settings, named by its id. Rotating the KEK re-wraps DEKs only: the data
itself is never re-encrypted.

    ring = KeyRing({"k1": base64_key}, current="k1")
    sealed = ring.seal(b"text", aad=b"note:…|client:…")
    ring.open(sealed, aad=b"note:…|client:…")
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class DecryptionError(Exception):
    """The ciphertext, its key or its associated data do not belong together (tampered or moved)."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    wrapped_key: bytes  # nonce (12) + AES-GCM(KEK, DEK)
    nonce: bytes
    ciphertext: bytes


class KeyRing:
    def __init__(self, keys: dict[str, str], current: str) -> None:
        self.keys = {kid: base64.b64decode(value) for kid, value in keys.items()}
        if current not in self.keys:
            raise ValueError(f"the current key {current!r} is not in the key ring")
        if any(len(k) != 32 for k in self.keys.values()):
            raise ValueError("key-encryption keys are 32 bytes (AES-256), base64-encoded")
        self.current = current

    def _wrap(self, key_id: str, dek: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self.keys[key_id]).encrypt(nonce, dek, key_id.encode())

    def _unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        if key_id not in self.keys:
            raise DecryptionError(f"unknown key {key_id}")
        try:
            return AESGCM(self.keys[key_id]).decrypt(wrapped[:12], wrapped[12:], key_id.encode())
        except InvalidTag as exc:
            raise DecryptionError("the data key does not unwrap") from exc

    def seal(self, plaintext: bytes, *, aad: bytes) -> Sealed:
        dek = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        return Sealed(self.current, self._wrap(self.current, dek), nonce, AESGCM(dek).encrypt(nonce, plaintext, aad))

    def open(self, sealed: Sealed, *, aad: bytes) -> bytes:
        dek = self._unwrap(sealed.key_id, sealed.wrapped_key)
        try:
            return AESGCM(dek).decrypt(sealed.nonce, sealed.ciphertext, aad)
        except InvalidTag as exc:
            raise DecryptionError("the ciphertext does not belong here (tampered, or moved from another item)") from exc

    def rewrap(self, key_id: str, wrapped: bytes) -> tuple[str, bytes]:
        """The same DEK wrapped by the current KEK (rotation)."""
        return self.current, self._wrap(self.current, self._unwrap(key_id, wrapped))


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()
