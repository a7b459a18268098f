"""Assembles the gateway: ``create_app()`` for uvicorn, ``service.main()`` for the CLI."""

import asyncio
from pathlib import Path

from fastapi import FastAPI

from gateway.adapters.bankid import bankid_adapter
from gateway.adapters.siths import CertificateVerifier, mtls_listener
from gateway.devca import devca
from gateway.directory.routes import router as directory_router
from gateway.identity.keys import load_signing_key
from gateway.identity.recovery_routes import router as recovery_router
from gateway.identity.routes import jwks_router, simulator_router
from gateway.identity.routes import router as identity_router
from gateway.platform_docs import router as docs_router
from gateway.routing import close_client, open_client
from gateway.routing import router as routing_router
from gateway.seed import seed
from gateway.settings import Settings
from gateway.subscribers import consumers
from kit.service import Service

ROOT = Path(__file__).resolve().parents[2]  # services/gateway: alembic.ini and migrations/


async def provide_identity(app: FastAPI) -> None:
    """The signing key (its public half also verifies the gateway's own routes), the BankID adapter
    GATEWAY_BANKID_ADAPTER chooses and the SITHS certificate verifier."""
    settings: Settings = app.state.settings
    app.state.signing_key = load_signing_key(settings)
    app.state.token_verifier.public_key = app.state.signing_key.public_pem()
    app.state.bankid = bankid_adapter(settings)
    app.state.siths = CertificateVerifier.from_bundle(settings.siths_ca_bundle)


async def close_bankid(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task whose only job is to close BankID's client at shutdown."""
    await stop.wait()
    if close := getattr(app.state.bankid, "close", None):
        await close()


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[jwks_router, identity_router, recovery_router, directory_router, docs_router, routing_router],
        development_routers=[simulator_router],
        consumers=consumers,
        on_startup=[provide_identity, open_client],
        background=[close_client, close_bankid],
        commands={"seed": seed, "devca": devca},
        listeners=[mtls_listener],
        docs_url=None,  # /docs is the platform's document (gateway.platform_docs), not the gateway's alone
        description="Identity (BankID, SITHS, password + SMS code), sessions, roles, the directory of organisations and "
                    "memberships, routing to the services, login audit.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
