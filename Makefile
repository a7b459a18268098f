# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
PYTHON := python3

.PHONY: help install services-up run test test-fast lint fuzz chaos bench-bus bench-booking bench-search asyncapi

help:
	@echo "make run        install, start PostgreSQL/RabbitMQ if needed, migrate, start all six services and the web app"
	@echo "make test       the whole test suite against the real PostgreSQL and RabbitMQ"
	@echo "make lint       ruff over the whole tree (what .ci/run checks before the tests)"
	@echo "make fuzz       every service's API fuzzed from its OpenAPI document: bad input must never get a 5xx"
	@echo "make chaos      faults during paid bookings (broker and PostgreSQL restarts, kill -9, poison, saturation): nothing lost or doubled; this machine only, ~6 min"
	@echo "make bench-bus  outbox -> relay -> inbox throughput against raw aio-pika"
	@echo "make bench-booking  paid bookings through the gateway (throughput, latency, contention)"
	@echo "make bench-search   article search on 50,000 articles, trigram index against none"
	@echo "make asyncapi   regenerate docs/asyncapi.json from libs/contracts and the services' consumers"

install:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@$(UV) sync --frozen --quiet --compile-bytecode
	@# bytecode for our own packages too: imports stay fast where PYTHONDONTWRITEBYTECODE is set
	@$(UV) run --frozen python -m compileall -q -j 0 libs services deploy bench > /dev/null

services-up:
	@$(PYTHON) deploy/servers.py

run: install services-up
	@$(UV) run --frozen python deploy/run.py

test: install services-up
	@$(PYTHON) deploy/servers.py --test-tools
	@$(UV) run --frozen pytest

test-fast: install services-up
	@$(PYTHON) deploy/servers.py --test-tools
	@$(UV) run --frozen pytest -m "not slow"

lint: install
	@$(UV) run --frozen ruff check .

fuzz: install services-up
	@UV="$(UV)" $(UV) run --frozen python tests/fuzz/api.py

chaos: install services-up
	@$(UV) run --frozen python tests/chaos/run.py

bench-bus: install services-up
	@$(UV) run --frozen python bench/bus.py

asyncapi: install
	@$(UV) run --frozen python -m kit.asyncapi > docs/asyncapi.json

bench-booking: install services-up
	@$(UV) run --frozen python bench/paid_bookings.py

bench-search: install services-up
	@$(UV) run --frozen python bench/search.py
