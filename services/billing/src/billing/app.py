"""Assembles the billing service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI."""

from pathlib import Path

from fastapi import FastAPI

from billing.adapters.bank import HttpBankTransfers, StubBankTransfers
from billing.adapters.payment_provider import (
    CrashAfterConfirm,
    HttpPaymentProvider,
    StubProvider,
    deliver_webhooks,
)
from billing.cards.routes import router as cards_router
from billing.payments.routes import router as payments_router
from billing.payouts.routes import router as payouts_router
from billing.payouts.scheduler import scheduled_payouts
from billing.settings import Settings
from billing.specifications.routes import router as specifications_router
from billing.specifications.scheduler import scheduled_rent_runs
from billing.subscribers import consumers
from kit.db import Database
from kit.service import Service

ROOT = Path(__file__).resolve().parents[2]  # services/billing: alembic.ini and migrations/


async def provide_adapters(app: FastAPI) -> None:
    """The payment provider and the bank, each the adapter its setting names (``stub`` or ``http``)."""
    settings: Settings = app.state.settings
    if settings.payment_provider == "http":
        app.state.provider = HttpPaymentProvider(settings)
    else:
        # The stub stands in for a remote system: its own connections, never the pool our handlers hold.
        app.state.provider = StubProvider(Database(settings.database_url, pool_size=5, max_overflow=5), settings)
    if settings.crashes_after_provider_call:  # the crash test's fault injection (environment test only)
        app.state.provider = CrashAfterConfirm(app.state.provider)
    app.state.bank = HttpBankTransfers(settings) if settings.bank == "http" else StubBankTransfers()


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[payments_router, payouts_router, cards_router, specifications_router],
        consumers=consumers,
        on_startup=[provide_adapters],
        background=[deliver_webhooks, scheduled_payouts, scheduled_rent_runs],
        description="Payments, refunds, the ledger, payouts, billing cards, invoices and invoice specifications.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
