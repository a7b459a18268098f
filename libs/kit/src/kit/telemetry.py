"""OpenTelemetry traces for FastAPI, SQLAlchemy and FastStream, exporter chosen by settings.

W3C trace context travels in AMQP headers: ``outbox.add`` stores the writer's context with the row,
the relay publishes it as message headers, and FastStream's telemetry middleware continues the trace
in the consumer.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from kit.settings import ServiceSettings

_provider: TracerProvider | None = None


def setup_tracing(settings: ServiceSettings, exporter: SpanExporter | None = None) -> TracerProvider:
    """Create (once per process) the tracer provider; ``exporter`` overrides the settings (tests)."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
        trace.set_tracer_provider(_provider)
    chosen = exporter or _exporter_from(settings)
    if chosen is not None:
        _provider.add_span_processor(BatchSpanProcessor(chosen))
    return _provider


def _exporter_from(settings: ServiceSettings) -> SpanExporter | None:
    if settings.otel_exporter == "console":
        return ConsoleSpanExporter()
    if settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=settings.otel_endpoint)
    return None


def instrument_app(app: Any, provider: TracerProvider, meter_provider: Any = None) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, meter_provider=meter_provider, excluded_urls="health/.*,metrics"
    )


def instrument_engine(engine: Any, provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=provider)


def bus_middleware(provider: TracerProvider) -> Any:
    from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware

    return RabbitTelemetryMiddleware(tracer_provider=provider)
