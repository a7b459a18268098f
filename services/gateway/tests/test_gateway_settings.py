"""The gateway's own production rule: its signing key must be an unencrypted Ed25519 private key in PEM."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.settings import Settings

REAL = {"environment": "production", "amqp_url": "amqp://gw:s3cret@rabbitmq:5672/", "identity_hmac_key": "h" * 32,
        "bankid_adapter": "stub"}


def pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_an_ed25519_pem_is_accepted():
    assert Settings(**REAL, signing_key_pem=pem(Ed25519PrivateKey.generate())).problems() == []


def test_production_requires_the_signing_key():
    assert Settings(**REAL).problems() == ["GATEWAY_SIGNING_KEY_PEM: missing (a secret is required in production)"]


def test_a_key_that_is_not_ed25519_or_not_pem_is_refused():
    refused = ["GATEWAY_SIGNING_KEY_PEM: not an unencrypted Ed25519 private key in PEM"]
    assert Settings(**REAL, signing_key_pem=pem(ec.generate_private_key(ec.SECP256R1()))).problems() == refused
    assert Settings(**REAL, signing_key_pem="not a key").problems() == refused


def test_outside_production_no_key_is_needed():
    assert Settings(environment="development").problems() == []
