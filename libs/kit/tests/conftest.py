"""kit's tests run against the sample consumer of ``kit.testing.sample``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kit.service import Service
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment, RunningService, running_service
from kit.testing.sample import consumers, create_tables


@pytest.fixture(scope="session")
async def kit_settings(test_env: RunEnvironment) -> ServiceSettings:
    settings = test_env.settings(ServiceSettings, service_name="kittest", delivery_limit=3)
    await create_tables(settings.database_url)
    return settings


@pytest.fixture(scope="session")
async def kit_service(test_env: RunEnvironment, kit_settings: ServiceSettings) -> AsyncIterator[RunningService]:
    service = Service(kit_settings, root=Path(__file__).parent, consumers=consumers)
    async with running_service(service, test_env, relay=True, migrate=False) as running:
        yield running
