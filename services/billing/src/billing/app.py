"""Assembles the billing service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI."""

from pathlib import Path

from fastapi import FastAPI

from billing.settings import Settings
from billing.subscribers import consumers
from kit.service import Service

ROOT = Path(__file__).resolve().parents[2]  # services/billing: alembic.ini and migrations/


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        consumers=consumers,
        description="Payments, refunds, the ledger, payouts, billing cards, invoices and invoice specifications.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
