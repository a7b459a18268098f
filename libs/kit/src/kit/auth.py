"""Verifying the gateway's access tokens and the current-principal dependency.

Tokens are short-lived JWTs signed by the gateway with an asymmetric key (EdDSA, ES256 or RS256).
Every service verifies them itself with the gateway's public key (settings or the gateway's JWKS):
signature, ``exp``, ``iss``, ``aud`` and ``typ`` are checked; ``none`` and every symmetric algorithm are
refused, so a token "signed" with the public key as an HMAC secret never passes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request

from kit.problems import Problem, forbidden, unauthorized

ALLOWED_ALGORITHMS = ["EdDSA", "ES256", "RS256"]
ACCESS_TOKEN_TYPE = "access"


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account, its roles, and (for a representative) the client it acts for."""

    account_id: uuid.UUID
    roles: frozenset[str]
    session_id: str | None = None
    acting_for: uuid.UUID | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class TokenVerifier:
    """Verifies access tokens with the gateway's public key: a PEM from settings, or the keys of the
    gateway's JWKS endpoint (fetched on first use and again when a token names an unknown key id)."""

    def __init__(self, public_key: str, *, issuer: str, audience: str, jwks_url: str = "", leeway_s: int = 5) -> None:
        self.public_key = public_key
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.leeway_s = leeway_s
        self._jwks: dict[str, Any] = {}
        self._jwks_fetched_at = 0.0

    async def key_for(self, kid: str | None) -> Any:
        if self.public_key:
            return self.public_key
        if kid not in self._jwks and self.jwks_url and time.monotonic() - self._jwks_fetched_at > 5:
            self._jwks_fetched_at = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=2.0) as client:
                    keys = (await client.get(self.jwks_url)).json()["keys"]
                self._jwks = {k["kid"]: jwt.PyJWK.from_dict(k).key for k in keys}
            except (httpx.HTTPError, KeyError, ValueError, jwt.PyJWTError) as exc:
                raise Problem(503, "keys-unavailable", "the gateway's token keys cannot be fetched right now") from exc
        if kid not in self._jwks:
            raise unauthorized("the token is signed with an unknown key")
        return self._jwks[kid]

    async def verify(self, token: str, *, allow_limited: bool = False) -> Principal:
        if not (self.public_key or self.jwks_url):
            raise unauthorized("this service has no token key configured")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthorized(f"malformed token: {exc}") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise unauthorized(f"token algorithm {header.get('alg')!r} is not accepted")
        key = await self.key_for(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALLOWED_ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("token has expired") from exc
        except jwt.PyJWTError as exc:
            raise unauthorized(f"token rejected: {exc}") from exc
        if claims.get("typ") != ACCESS_TOKEN_TYPE:
            raise unauthorized("not an access token")
        if claims.get("scp") == "limited" and not allow_limited:
            raise forbidden("finish signing in first: change the temporary password and accept the terms of use")
        try:
            account_id = uuid.UUID(claims["sub"])
            acting_for = uuid.UUID(claims["act"]) if claims.get("act") else None
        except (ValueError, TypeError) as exc:
            raise unauthorized("token subject is not an account id") from exc
        return Principal(
            account_id=account_id,
            roles=frozenset(claims.get("roles", [])),
            session_id=claims.get("sid"),
            acting_for=acting_for,
            claims=claims,
        )


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("a bearer token is required")
    return token.strip()


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the verified caller (401 problem when the token is missing or bad)."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(bearer_token(request))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """Dependency factory: the caller must hold one of ``roles`` (403 problem otherwise)."""

    def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.has(*roles):
            raise forbidden(f"requires one of the roles: {', '.join(sorted(roles))}")
        return principal

    return dependency


