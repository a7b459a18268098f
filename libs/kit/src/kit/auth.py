"""Verifying the gateway's access tokens and the current-principal dependency.

Tokens are short-lived JWTs signed by the gateway with an asymmetric key (EdDSA, ES256 or RS256).
Every service verifies them itself with the gateway's public key (settings or the gateway's JWKS):
signature, ``exp``, ``iss``, ``aud`` and ``typ`` are checked; ``none`` and every symmetric algorithm are
refused, so a token "signed" with the public key as an HMAC secret never passes.

The algorithm comes from the key (its type, or the JWK's ``alg``), never from the token's header: a token
whose header names another algorithm than its key is refused before PyJWT sees it, so an RS256 or ES256
token carrying the real ``kid`` is a 401, not a key-type error. A token whose ``exp - iat`` exceeds
``max_lifetime_s`` is refused too (a stolen signing key cannot mint year-long tokens that outlive the
ended-session registry), and so is a token of a session the gateway has ended (:mod:`kit.sessions`).
Problem details are fixed texts: PyJWT's messages describe its internals and are never shown.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from fastapi import Depends, Request

from kit.problems import Problem, forbidden, unauthorized
from kit.sessions import EndedSessions

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


def algorithm_of(key: Any) -> str:
    """The one algorithm a public key verifies: EdDSA for Ed25519/Ed448, ES256 for P-256, RS256 for RSA."""
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return "EdDSA"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    raise ValueError(f"unsupported token key type {type(key).__name__}")


@dataclass(frozen=True)
class VerifyingKey:
    key: Any
    algorithm: str


class TokenVerifier:
    """Verifies access tokens with the gateway's public key: a PEM from settings, or the keys of the
    gateway's JWKS endpoint (fetched on first use and again when a token names an unknown key id)."""

    def __init__(
        self,
        public_key: str,
        *,
        issuer: str,
        audience: str,
        jwks_url: str = "",
        leeway_s: int = 5,
        max_lifetime_s: int = 3600,
        ended: EndedSessions | None = None,
    ) -> None:
        self.public_key = public_key
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.leeway_s = leeway_s
        self.max_lifetime_s = max_lifetime_s
        self.ended = ended if ended is not None else EndedSessions(max_lifetime_s + leeway_s)
        self._pem_key: VerifyingKey | None = None
        self._jwks: dict[str, VerifyingKey] = {}
        self._jwks_fetched_at = float("-inf")
        self._jwks_lock = asyncio.Lock()

    def _configured_key(self) -> VerifyingKey:
        if self._pem_key is None:
            try:
                key = serialization.load_pem_public_key(self.public_key.encode())
                self._pem_key = VerifyingKey(key, algorithm_of(key))
            except ValueError as exc:
                raise Problem(503, "keys-unavailable", "this service's token key cannot be read") from exc
        return self._pem_key

    async def ensure_keys(self) -> bool:
        """True when a token can be verified now: the configured key reads, or the JWKS has been fetched
        (fetched here when it has not). Readiness waits for this, so no token is refused for want of keys."""
        if self.public_key:
            try:
                self._configured_key()
            except Problem:
                return False
            return True
        if not self._jwks and self.jwks_url:
            try:
                await self._fetch_jwks(None)
            except Problem:
                return False
        return bool(self._jwks)

    async def key_for(self, kid: str | None) -> VerifyingKey:
        """The key a token names. An unknown key id fetches the JWKS once for all concurrent requests (a lock:
        the first fetches, the others wait and then look again), so the first requests after a start all get
        the keys rather than a 401; after a fetch that did not know the key, the next is allowed 5 s later."""
        if self.public_key:
            return self._configured_key()
        if kid not in self._jwks and self.jwks_url:
            await self._fetch_jwks(kid)
        if not isinstance(kid, str) or kid not in self._jwks:
            raise unauthorized("the token is signed with an unknown key")
        return self._jwks[kid]

    async def _fetch_jwks(self, kid: str | None) -> None:
        """Fetch the JWKS unless another request is fetching it (then wait for that one) or it was fetched
        less than 5 s ago without knowing ``kid``."""
        async with self._jwks_lock:
            if (kid is None and self._jwks) or (kid is not None and kid in self._jwks):
                return  # the fetch this request waited for brought it
            if time.monotonic() - self._jwks_fetched_at <= 5 and self._jwks:
                return
            try:
                async with httpx.AsyncClient(timeout=2.0) as client:
                    keys = (await client.get(self.jwks_url)).json()["keys"]
            except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
                raise Problem(503, "keys-unavailable", "the gateway's token keys cannot be fetched right now") from exc
            self._jwks = {k["kid"]: key for k in keys if isinstance(k, dict) and (key := _jwk(k))}
            self._jwks_fetched_at = time.monotonic()  # after the keys arrived, never before

    async def verify(self, token: str, *, allow_limited: bool = False) -> Principal:
        if not (self.public_key or self.jwks_url):
            raise unauthorized("this service has no token key configured")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise unauthorized("malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise unauthorized("the token's algorithm is not accepted")
        key = await self.key_for(header.get("kid"))
        if header.get("alg") != key.algorithm:
            raise unauthorized("the token's algorithm does not match its key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("token has expired") from exc
        except jwt.PyJWTError as exc:
            raise unauthorized("token rejected") from exc
        if claims.get("typ") != ACCESS_TOKEN_TYPE:
            raise unauthorized("not an access token")
        lifetime = claims["exp"] - claims["iat"]
        if not isinstance(lifetime, (int, float)) or lifetime > self.max_lifetime_s:
            raise unauthorized("the token's lifetime is longer than accepted")
        if self.ended.contains(claims.get("sid")):
            raise unauthorized("this session has ended: sign in again")
        if claims.get("scp") == "limited" and not allow_limited:
            raise forbidden("finish signing in first: change the temporary password and accept the terms of use")
        try:
            account_id = uuid.UUID(claims["sub"])
            acting_for = uuid.UUID(claims["act"]) if claims.get("act") else None
        except (ValueError, TypeError, AttributeError) as exc:
            raise unauthorized("token subject is not an account id") from exc
        return Principal(
            account_id=account_id,
            roles=frozenset(claims.get("roles", [])),
            session_id=claims.get("sid"),
            acting_for=acting_for,
            claims=claims,
        )


def _jwk(data: dict[str, Any]) -> VerifyingKey | None:
    """A JWKS entry bound to one algorithm: the JWK's ``alg`` when given (it must fit the key), else the
    algorithm of its key type. Symmetric, unknown and ill-fitting keys are left out (None)."""
    try:
        key = jwt.PyJWK.from_dict(data).key
        algorithm = algorithm_of(key)
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if not data.get("kid") or data.get("alg") not in (None, algorithm):
        return None
    return VerifyingKey(key, algorithm)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("a bearer token is required")
    return token.strip()


def bearer(dependency: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a dependency that verifies the bearer token: a route using it is protected, and its OpenAPI
    operation says so (kit.openapi: the bearer scheme, 401 and 403)."""
    dependency.__kit_bearer__ = True  # type: ignore[attr-defined]
    return dependency


@bearer
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

    dependency.__kit_roles__ = roles  # type: ignore[attr-defined]
    return dependency


