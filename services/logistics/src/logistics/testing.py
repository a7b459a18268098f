"""Test support: the logistics service with the demo catalogue loaded, a prescriber who has made the
first-login settings, and the text of a printout. Used by the cross-service tests."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from kit.db import Database
from kit.testing import RunEnvironment, RunningService, running_service
from kit.testing.tokens import TokenIssuer
from logistics.app import build
from logistics.demo import load
from logistics.settings import Settings

OWN_STORE = "K1201"


@asynccontextmanager
async def running_logistics(test_env: RunEnvironment, settings: Settings) -> AsyncIterator[RunningService]:
    """The service on ``settings``, with the demo catalogue, warehouses and stock loaded."""
    async with running_service(build(settings), test_env) as service:
        db = Database(settings.database_url, pool_size=2)
        async with db.transaction() as session:
            await load(session)
        await db.dispose()
        yield service


async def prescriber(client: httpx.AsyncClient, issuer: TokenIssuer, **settings: Any) -> dict[str, str]:
    """A prescriber's request headers, after their LG-1 settings (``settings`` overrides the defaults)."""
    headers = issuer.headers(uuid.uuid4(), "prescriber", name="Test Förskrivare")
    body = {"default_source": "own_store", "service_units": ["Rehab Exempelstad"], "payer": "Exempelkommunen",
            "own_stores": [OWN_STORE]} | settings
    saved = await client.put("/prescribers/me/settings", headers=headers, json=body)
    assert saved.status_code == 200, saved.text
    return headers


def pdf_text(content: bytes) -> str:
    """The text of every page of a printout."""
    from pypdf import PdfReader  # a test dependency

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
