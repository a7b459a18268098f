"""Access tokens for tests, signed like the gateway signs them (EdDSA), with a throw-away key pair.

    issuer = TokenIssuer()
    settings = test_env.settings(Settings, jwt_public_key=issuer.public_pem)
    headers = issuer.headers(account_id, "therapist")
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kit.auth import ACCESS_TOKEN_TYPE


class TokenIssuer:
    def __init__(self, *, issuer: str = "care-gateway", audience: str = "care-platform") -> None:
        self.private_key = Ed25519PrivateKey.generate()
        self.public_pem = (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        self.issuer = issuer
        self.audience = audience

    @property
    def private_pem(self) -> str:
        """The signing key as PEM: give it to a gateway under test so both sign alike."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def token(
        self,
        account_id: uuid.UUID | str,
        *roles: str,
        acting_for: uuid.UUID | str | None = None,
        ttl_s: int = 300,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "sub": str(account_id),
            "roles": list(roles),
            "typ": ACCESS_TOKEN_TYPE,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + ttl_s,
            "sid": uuid.uuid4().hex,
        }
        if acting_for is not None:
            payload["act"] = str(acting_for)
        payload.update(claims)
        return jwt.encode(payload, self.private_key, algorithm="EdDSA", headers={"kid": "test"})

    def headers(self, account_id: uuid.UUID | str, *roles: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(account_id, *roles, **kwargs)}"}
