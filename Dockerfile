# syntax=docker/dockerfile:1
# One image per service, all from this file (run from the repository root):
#   docker build --build-arg SERVICE=booking -t registry.example.org/care/booking:1.0.0 .
# The container runs `python -m $SERVICE` plus its arguments, so Kubernetes' `args: [relay]`, `[migrate]`,
# `[seed]`, `[dlq, list]` choose the command (deploy/k8s/generate.py; tests/test_deploy_smoke.py starts exactly
# this ENTRYPOINT with the manifests' args).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# uv, pinned: the version that wrote uv.lock
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# -- build: the locked dependencies in a layer of their own, then the workspace packages ---------------
FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<gateway|booking|billing|logistics|portal|notify|web>" && false)
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Only what decides the dependencies: the lock and every workspace member's pyproject.toml. This layer is
# rebuilt when a dependency changes, not when the source does.
COPY pyproject.toml uv.lock ./
COPY libs/kit/pyproject.toml libs/kit/
COPY libs/contracts/pyproject.toml libs/contracts/
COPY services/gateway/pyproject.toml services/gateway/
COPY services/booking/pyproject.toml services/booking/
COPY services/billing/pyproject.toml services/billing/
COPY services/logistics/pyproject.toml services/logistics/
COPY services/portal/pyproject.toml services/portal/
COPY services/notify/pyproject.toml services/notify/
COPY services/web/pyproject.toml services/web/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "$SERVICE"
# The source: kit, contracts and the service, linked into the same environment where they lie (a service
# finds its alembic.ini and migrations/ beside its package), compiled to bytecode now: the root file
# system is read-only at run time
COPY libs ./libs
COPY services ./services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --package "$SERVICE" \
 && rm -rf libs/*/tests "services/$SERVICE/tests" \
 && python -m compileall -q -j 0 libs "services/$SERVICE"

# -- runtime: the environment, kit, contracts and the one service, a user without a home or a shell ----
FROM ${PYTHON_IMAGE}
ARG SERVICE
ENV SERVICE=${SERVICE} \
    PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    HOME=/tmp
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app
COPY --from=build --chown=root:root /app/.venv /app/.venv
COPY --from=build --chown=root:root /app/libs /app/libs
COPY --from=build --chown=root:root /app/services/${SERVICE} /app/services/${SERVICE}
WORKDIR /app
# Nothing is written outside /tmp (mount an emptyDir there): bytecode is compiled at build time, the
# files are root's and read-only to the app user, so `readOnlyRootFilesystem: true` holds.
USER 10001:10001
ENV GATEWAY_HTTP_HOST=0.0.0.0 BOOKING_HTTP_HOST=0.0.0.0 BILLING_HTTP_HOST=0.0.0.0 LOGISTICS_HTTP_HOST=0.0.0.0 \
    PORTAL_HTTP_HOST=0.0.0.0 NOTIFY_HTTP_HOST=0.0.0.0 WEB_HTTP_HOST=0.0.0.0
EXPOSE 8000-8006
# `exec`: python is PID 1 and gets SIGTERM itself (graceful shutdown); "$@" are the container's args
ENTRYPOINT ["/bin/sh", "-c", "exec python -m \"$SERVICE\" \"$@\"", "--"]
