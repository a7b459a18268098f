"""libs/kit: the plumbing every service uses, written once.

- ``settings``   ServiceSettings base (pydantic-settings, one env prefix per service)
- ``db``         async engine, sessions and the unit of work (the one place that commits)
- ``outbox``     the transactional outbox table and ``outbox.add`` (write an event with a change)
- ``relay``      the outbox relay process (claims, publishes with confirms, marks sent)
- ``inbox``      idempotent consumers: (consumer, event_id) recorded in the handler's transaction
- ``idempotency`` ``Idempotency-Key`` for HTTP writes; ``recover=`` for routes that call an outside system
  (the attempt committed before the call, a retry after a crash answered from the state)
- ``bus``        broker factory, topology (exchange, quorum queues, dead letters) and ``Consumers``
- ``changes``    waiting for a committed change without polling (``?wait=``), by LISTEN/NOTIFY
- ``auth``       JWT verification and the current-principal dependency
- ``problems``   RFC 9457 problem+json errors
- ``openapi``    each service's OpenAPI document derived from its routes (problems, bearer scheme, operationIds,
  tags, headers, downloads) and the gateway's merge of them; ``raises`` reads which problems a route's code raises
- ``http``       body limits, security headers, CORS from ``cors_origins``
- ``health``     /health/live and /health/ready
- ``telemetry``  OpenTelemetry traces for FastAPI, SQLAlchemy and the bus
- ``service``    ``Service``: assembles one service (HTTP app, consumers, relay, migrations, CLI)
- ``testing``    pytest fixtures for real PostgreSQL and RabbitMQ
"""
