"""Assembles the billing service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI."""

from pathlib import Path

from fastapi import FastAPI

from billing.payments.routes import router as payments_router
from billing.provider.stub import StubProvider, deliver_webhooks
from billing.settings import Settings
from billing.subscribers import consumers
from kit.service import Service

ROOT = Path(__file__).resolve().parents[2]  # services/billing: alembic.ini and migrations/


async def provide_payment_provider(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    app.state.provider = StubProvider(app.state.db, settings)


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[payments_router],
        consumers=consumers,
        on_startup=[provide_payment_provider],
        background=[deliver_webhooks],
        description="Payments, refunds, the ledger, payouts, billing cards, invoices and invoice specifications.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
