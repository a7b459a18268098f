"""Assembles the logistics service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI
(``python -m logistics seed`` loads the invented demo assortment, stores and recipients)."""

from pathlib import Path

from fastapi import FastAPI

from contracts.logistics.v1 import PARTNER_EVENTS
from kit.audit import admin_router
from kit.bus import forward_events
from kit.service import Service
from logistics.activities.routes import router as activities_router
from logistics.adapters.population_register import DevelopmentPopulationRegister, SparPopulationRegister
from logistics.catalogue.routes import router as catalogue_router
from logistics.demo import seed
from logistics.orders.routes import router as orders_router
from logistics.prescribers.routes import router as prescribers_router
from logistics.recipients.routes import router as recipients_router
from logistics.returns.routes import router as returns_router
from logistics.search import router as search_router
from logistics.settings import Settings
from logistics.stock.routes import router as stock_router
from logistics.subscribers import consumers

ROOT = Path(__file__).resolve().parents[2]  # services/logistics: alembic.ini and migrations/


async def provide_registers(app: FastAPI) -> None:
    """The population register its setting names (the development one invents people; ``http`` is SPAR)."""
    settings: Settings = app.state.settings
    app.state.population_register = (SparPopulationRegister(settings) if settings.population_register == "http"
                                     else DevelopmentPopulationRegister())


async def forward_to_partners(app: FastAPI) -> None:
    """LG-19: the partner-safe logistics events also reach the ``partner.logistics`` exchange."""
    settings: Settings = app.state.settings
    await forward_events(settings, settings.partner_exchange, PARTNER_EVENTS)


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[catalogue_router, stock_router, recipients_router, prescribers_router, orders_router, returns_router,
                 activities_router, search_router, admin_router("/admin/audit")],
        on_startup=[provide_registers, forward_to_partners],
        consumers=consumers,
        commands={"seed": seed},
        description="Assistive devices: catalogue, stock, individuals, recipients, orders, pickups, returns, activities.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
