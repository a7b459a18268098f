"""The gateway's token signing key (Ed25519) and its public JWKS.

Production passes the key as PEM (``GATEWAY_SIGNING_KEY_PEM``, from a secret). Development and tests
create one on first start at ``signing_key_path`` so restarts keep issued tokens valid."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.settings import Settings


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey
    kid: str

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def public_pem(self) -> str:
        return self.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def jwk(self) -> dict[str, str]:
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
                "kid": self.kid, "alg": "EdDSA", "use": "sig"}


def load_signing_key(settings: Settings) -> SigningKey:
    if settings.signing_key_pem.get_secret_value():
        pem = settings.signing_key_pem.get_secret_value().encode()
    else:
        path = Path(settings.signing_key_path)
        if not path.exists():
            if settings.environment == "production":
                raise RuntimeError("GATEWAY_SIGNING_KEY_PEM is required in production")
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
            path.chmod(0o600)
        pem = path.read_bytes()
    private = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise RuntimeError("the gateway signs with an Ed25519 key")
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey(private, hashlib.sha256(raw).hexdigest()[:16])
