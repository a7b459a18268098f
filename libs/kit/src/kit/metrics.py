"""Metrics per service, scraped from ``GET /metrics`` (Prometheus text format), through OpenTelemetry's
Prometheus exporter.

- HTTP: ``http_server_duration_milliseconds`` (rate, latency and errors by route and status code), from
  the FastAPI instrumentation;
- bus: ``kit_messages_total{queue, outcome}`` with outcome ``handled``, ``duplicate``, ``retried`` or
  ``dead_lettered``, and ``kit_message_handling_milliseconds{queue}``;
- outbox: ``kit_outbox_backlog`` (unpublished rows) and ``kit_outbox_oldest_age_seconds`` (age of the
  oldest unpublished row), read from the database when ``/metrics`` is scraped (so it is as old as the
  scrape, and an outage shows as a growing age, not a frozen one).
What to alert on is in the README ("Operating").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from sqlalchemy import text

from kit.settings import ServiceSettings

log = logging.getLogger("kit.metrics")

_provider: MeterProvider | None = None
_outbox: dict[str, float] = {}


def setup_metrics(settings: ServiceSettings) -> MeterProvider:
    """Create (once per process) the meter provider that the Prometheus endpoint reads."""
    global _provider
    if _provider is None:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        _provider = MeterProvider(
            resource=Resource.create({"service.name": settings.service_name}),
            metric_readers=[PrometheusMetricReader()],
        )
        metrics.set_meter_provider(_provider)
        meter = _provider.get_meter("kit")
        meter.create_observable_gauge(
            "kit_outbox_backlog", callbacks=[_observe("backlog")], description="Outbox rows not yet published"
        )
        meter.create_observable_gauge(
            "kit_outbox_oldest_age_seconds",
            callbacks=[_observe("oldest_age_s")],
            unit="s",
            description="Age of the oldest unpublished outbox row",
        )
    return _provider


def _observe(key: str):  # noqa: ANN202
    def callback(options: CallbackOptions) -> Iterable[Observation]:
        for service, values in list(_outbox.items()):
            yield Observation(values.get(key, 0.0), {"service": service})  # type: ignore[union-attr]

    return callback


class BusMetrics:
    """Counters the consumer wrapper updates (one instance per EventBus)."""

    def __init__(self, service: str) -> None:
        meter = metrics.get_meter("kit.bus")
        self.service = service
        self.messages = meter.create_counter("kit_messages", description="Messages taken from queues, by outcome")
        self.duration = meter.create_histogram(
            "kit_message_handling_milliseconds", unit="ms", description="Time to handle one message"
        )

    def record(self, queue: str, outcome: str, seconds: float | None = None) -> None:
        attributes = {"service": self.service, "queue": queue, "outcome": outcome}
        self.messages.add(1, attributes)
        if seconds is not None:
            self.duration.record(seconds * 1000, {"service": self.service, "queue": queue})


async def read_outbox_stats(app: FastAPI) -> None:
    """Read the outbox gauges' values now (within a second; if the database is away the series is left out,
    and readiness says why)."""
    service = app.state.settings.service_name
    try:
        async with asyncio.timeout(1.0), app.state.db.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                        "FROM outbox WHERE published_at IS NULL"
                    )
                )
            ).one()
        _outbox[service] = {"backlog": float(row[0]), "oldest_age_s": float(row[1])}  # type: ignore[assignment]
    except Exception:  # noqa: BLE001 - the database may be away; readiness reports that
        _outbox.pop(service, None)
        log.debug("outbox stats unavailable", exc_info=True)


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/metrics", include_in_schema=False)
    async def scrape(request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

        await read_outbox_stats(request.app)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router


def meter_provider() -> Any:
    return _provider
