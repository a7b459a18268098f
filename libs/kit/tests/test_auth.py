"""Token verification rules (pure): the algorithm is the key's, a maximum lifetime, ended sessions, and
fixed problem texts (PyJWT's messages never reach a caller)."""

from __future__ import annotations

import asyncio
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kit.auth import TokenVerifier, _jwk
from kit.problems import Problem
from kit.sessions import EndedSessions
from kit.testing.tokens import TokenIssuer

ISSUER = TokenIssuer()


def verifier(**kwargs) -> TokenVerifier:
    return TokenVerifier(ISSUER.public_pem, issuer=ISSUER.issuer, audience=ISSUER.audience, **kwargs)


def refused(v: TokenVerifier, token: str) -> Problem:
    with pytest.raises(Problem) as caught:
        asyncio.run(v.verify(token))
    return caught.value


def claims(**extra) -> dict:
    now = int(time.time())
    return {"sub": str(uuid.uuid4()), "typ": "access", "iss": ISSUER.issuer, "aud": ISSUER.audience,
            "iat": now, "exp": now + 300, "sid": uuid.uuid4().hex, **extra}


def test_a_token_of_the_key_passes():
    principal = asyncio.run(verifier().verify(ISSUER.token(uuid.uuid4(), "therapist")))
    assert principal.has("therapist")


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_a_token_signed_with_another_algorithm_and_the_real_kid_is_401(algorithm):
    other = rsa.generate_private_key(65537, 2048) if algorithm == "RS256" else ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), other, algorithm=algorithm, headers={"kid": "test"})
    problem = refused(verifier(), token)
    assert (problem.status, problem.detail) == (401, "the token's algorithm does not match its key")


def test_hmac_with_the_public_key_as_secret_is_401():
    token = jwt.api_jws.PyJWS().encode(b'{"sub":"x"}', b"a-secret-of-at-least-thirty-two-bytes!", algorithm="HS256")
    assert refused(verifier(), token).status == 401


def test_a_token_living_longer_than_the_maximum_is_401():
    problem = refused(verifier(max_lifetime_s=600), ISSUER.token(uuid.uuid4(), "client", ttl_s=601))
    assert (problem.status, problem.detail) == (401, "the token's lifetime is longer than accepted")
    assert asyncio.run(verifier(max_lifetime_s=600).verify(ISSUER.token(uuid.uuid4(), "client", ttl_s=600)))


def test_pyjwt_texts_never_reach_the_detail():
    bad_audience = jwt.encode(claims(aud="elsewhere"), ISSUER.private_key, algorithm="EdDSA", headers={"kid": "t"})
    assert refused(verifier(), bad_audience).detail == "token rejected"
    assert refused(verifier(), "not.a.token").detail == "malformed token"
    assert refused(verifier(), ISSUER.token(uuid.uuid4(), ttl_s=-60)).detail == "token has expired"


def test_an_ended_session_is_401_and_others_pass():
    ended = EndedSessions(retention_s=60)
    v = verifier(ended=ended)
    ended.end(["gone"])
    assert refused(v, ISSUER.token(uuid.uuid4(), sid="gone")).detail == "this session has ended: sign in again"
    assert asyncio.run(v.verify(ISSUER.token(uuid.uuid4(), sid="alive")))


def test_ended_sessions_are_forgotten_after_the_retention():
    ended = EndedSessions(retention_s=60)
    ended.end(["old"], ended_at=time.time() - 61)
    ended.end(["new"])
    assert not ended.contains("old") and ended.contains("new") and len(ended) == 1


def test_a_jwk_is_bound_to_its_key_type():
    rsa_public = rsa.generate_private_key(65537, 2048).public_key()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(rsa_public, as_dict=True) | {"kid": "r"}
    assert _jwk(jwk).algorithm == "RS256"
    assert _jwk(jwk | {"alg": "ES256"}) is None
    assert _jwk({"kty": "oct", "k": "c2VjcmV0", "kid": "h"}) is None
    pem = rsa_public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert TokenVerifier(pem.decode(), issuer="i", audience="a")._configured_key().algorithm == "RS256"


async def test_the_first_requests_after_a_start_all_get_the_gateway_keys():
    """Issue 20: concurrent first requests each got 401 "unknown key" while one JWKS fetch was under way.
    Now they wait for that one fetch (the JWKS answers slowly here), and the keys are fetched once."""
    from fastapi import FastAPI

    from kit.testing import fake_api

    fetched = []
    gateway = FastAPI()

    @gateway.get("/.well-known/jwks.json")
    async def jwks() -> dict:
        fetched.append(1)
        await asyncio.sleep(0.3)  # the gateway is slow to answer: the other requests arrive meanwhile
        jwk = jwt.PyJWK.from_json(jwt.algorithms.OKPAlgorithm.to_jwk(ISSUER.private_key.public_key()))
        return {"keys": [{**jwk._jwk_data, "kid": "test", "alg": "EdDSA"}]}

    async with fake_api(gateway) as url:
        v = TokenVerifier("", issuer=ISSUER.issuer, audience=ISSUER.audience, jwks_url=f"{url}/.well-known/jwks.json")
        tokens = [ISSUER.token(uuid.uuid4(), "client") for _ in range(15)]
        principals = await asyncio.gather(*(v.verify(t) for t in tokens))
    assert len(principals) == 15 and all(p.roles == {"client"} for p in principals)
    assert len(fetched) == 1

