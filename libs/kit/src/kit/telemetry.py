"""OpenTelemetry traces for FastAPI, SQLAlchemy and FastStream, exporter chosen by settings.

W3C trace context travels in AMQP headers: ``outbox.add`` stores the writer's context with the row,
the relay publishes it as message headers, and FastStream's telemetry middleware continues the trace
in the consumer.

Nothing is recorded while nothing exports (``otel_exporter = "none"``, the default, and no exporter
added since): the sampler drops every span as long as the provider has no span processor, so the
instrumentations only carry the trace context along (a non-recording span still has its trace and span
ids) instead of building spans, attributes and events that would be thrown away — ~10 % of a consumer's
CPU per message when measured (bench/README.md). The context then travels with the sampled flag off: a
service that exports downstream of one that does not starts recording at its own requests, not at
events of such a trace. Add an exporter (``setup_tracing(settings, exporter)``) and spans are recorded
from the next one on.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult, StaticSampler

from kit.settings import ServiceSettings

_provider: TracerProvider | None = None


class WhileExporting(Sampler):
    """ParentBased(always on) while ``provider`` has a span processor; drop (propagate only) while not."""

    def __init__(self) -> None:
        self.provider: TracerProvider | None = None
        self._recording = ParentBased(StaticSampler(Decision.RECORD_AND_SAMPLE))
        self._dropping = StaticSampler(Decision.DROP)

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None,  # noqa: ANN001, ANN201, PLR0913
                      trace_state=None) -> SamplingResult:
        sampler = self._recording if self.provider is not None and exporting(self.provider) else self._dropping
        return sampler.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return "WhileExporting"


def setup_tracing(settings: ServiceSettings, exporter: SpanExporter | None = None) -> TracerProvider:
    """Create (once per process) the tracer provider; ``exporter`` overrides the settings (tests)."""
    global _provider
    if _provider is None:
        sampler = WhileExporting()
        _provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}), sampler=sampler)
        sampler.provider = _provider
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


def exporting(provider: TracerProvider) -> bool:
    """Whether spans go anywhere: the provider has a span processor (an exporter)."""
    return bool(provider._active_span_processor._span_processors)  # noqa: SLF001


def instrument_engine(engine: Any, provider: TracerProvider) -> None:
    """Spans per connection checkout and statement, when the service exports spans as it starts; without
    an exporter the instrumentation would still run on every checkout and statement (a non-recording span
    and the pool's usage counters: ~5 % of a consumer's CPU) for nothing. No pool metrics: nobody reads them."""
    if not exporting(provider):
        return
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=provider,
                                        meter_provider=NoOpMeterProvider())


def bus_middleware(provider: TracerProvider) -> Any:
    from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware

    # Spans only: kit.metrics counts and times every message already (kit_messages_total,
    # kit_message_handling_milliseconds); FastStream's own copies of those would cost ~3 % per message.
    return RabbitTelemetryMiddleware(tracer_provider=provider, meter_provider=NoOpMeterProvider())
