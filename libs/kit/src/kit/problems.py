"""Problem details (RFC 9457) for every error a service returns.

Raise ``Problem`` (or one of the helpers) from a use case; ``install_problem_handlers`` renders it, and
also turns validation errors, unknown routes and integrity violations into problems. Nothing reaches
the client as a bare 500: an unexpected error is logged with its correlation id and answered with a
generic problem that leaks nothing.

Titles follow the request's ``Accept-Language`` (sv, nb, nl, en; ``Content-Language`` says which): the title is
the status's, so a client may show it; ``type`` is what code decides on. A use case's ``detail`` is English.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from kit import context, languages
from kit.db import BUSY_SQLSTATES

log = logging.getLogger("kit.problems")

MEDIA_TYPE = "application/problem+json"
#: A 422 lists at most this many errors; ``more_errors`` counts the rest.
MAX_ERRORS = 20
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}
#: The titles in the other languages (English is _TITLES)
_TRANSLATED: dict[str, dict[int, str]] = {
    "sv": {400: "Felaktig begäran", 401: "Inte inloggad", 403: "Inte tillåtet", 404: "Finns inte",
           405: "Metoden är inte tillåten", 409: "Konflikt", 410: "Finns inte längre", 413: "För stor begäran",
           415: "Medietypen stöds inte", 422: "Ogiltiga uppgifter", 429: "För många försök", 500: "Internt fel",
           502: "Fel i ett bakomliggande system", 503: "Tjänsten är inte tillgänglig", 504: "Svaret dröjde för länge"},
    "nb": {400: "Ugyldig forespørsel", 401: "Ikke innlogget", 403: "Ikke tillatt", 404: "Finnes ikke",
           405: "Metoden er ikke tillatt", 409: "Konflikt", 410: "Finnes ikke lenger", 413: "For stor forespørsel",
           415: "Medietypen støttes ikke", 422: "Ugyldige opplysninger", 429: "For mange forsøk", 500: "Intern feil",
           502: "Feil i et bakenforliggende system", 503: "Tjenesten er ikke tilgjengelig", 504: "Svaret tok for lang tid"},
    "nl": {400: "Ongeldig verzoek", 401: "Niet aangemeld", 403: "Niet toegestaan", 404: "Niet gevonden",
           405: "Methode niet toegestaan", 409: "Conflict", 410: "Bestaat niet meer", 413: "Verzoek te groot",
           415: "Mediatype niet ondersteund", 422: "Ongeldige gegevens", 429: "Te veel pogingen", 500: "Interne fout",
           502: "Fout in een achterliggend systeem", 503: "Dienst niet beschikbaar", 504: "Antwoord duurde te lang"},
}


class Problem(Exception):
    """An error with a stable ``type`` (a slug under /problems/), a status and a human-readable detail."""

    def __init__(self, status: int, slug: str, detail: str, *, title: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.extra = extra
        self.headers: dict[str, str] = {}

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if cid := context.correlation_id.get():
            body["correlation_id"] = str(cid)
        body.update(self.extra)
        return body


def not_found(what: str, ident: object) -> Problem:
    return Problem(404, "not-found", f"{what} {ident} does not exist")


def conflict(slug: str, detail: str, **extra: Any) -> Problem:
    return Problem(409, slug, detail, **extra)


def forbidden(detail: str = "You may not do this") -> Problem:
    return Problem(403, "forbidden", detail)


def unauthorized(detail: str) -> Problem:
    problem = Problem(401, "unauthorized", detail)
    problem.headers["WWW-Authenticate"] = "Bearer"
    return problem


def invalid(detail: str, **extra: Any) -> Problem:
    return Problem(422, "validation-error", detail, **extra)


def title_in(language: str, status: int, title: str) -> str:
    """``title`` in ``language`` when it is the status's own title (a use case's own title stays as it is)."""
    if title != _TITLES.get(status):
        return title
    return _TRANSLATED.get(language, {}).get(status, title)


def render(problem: Problem, request: Request | None = None) -> JSONResponse:
    body = problem.body(str(request.url.path) if request else None)
    language = languages.choose(request.headers.get("accept-language") if request else None)
    body["title"] = title_in(language, problem.status, problem.title)
    return JSONResponse(
        body,
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers={**problem.headers, "Content-Language": language},
    )


#: What PostgreSQL's data exceptions (SQLSTATE class 22) mean to the caller. Routes validate their input
#: first; this is the net under them, so a value the database cannot take is the caller's 422, never a 500
#: (the transaction has rolled back: nothing is half-written). The value itself is never echoed.
DATA_EXCEPTIONS = {
    "22021": "a text contains a character that cannot be stored (a NUL character)",
    "22P05": "a text contains a character that cannot be stored",
    "22001": "a text is longer than allowed",
    "22003": "a number is out of range",
    "22008": "a date or time is out of range",
    "2201W": "a limit must not be negative",
    "2201X": "an offset must not be negative",
}


def data_exception(exc: DBAPIError) -> Problem | None:
    """The 422 for a data exception (SQLSTATE 22…) raised while running the request's statements."""
    cause = getattr(exc.orig, "__cause__", None)
    state = getattr(cause, "sqlstate", None) or ""
    if not state.startswith("22"):
        return None
    if "surrogates not allowed" in str(cause):  # asyncpg could not even encode the text to send it
        return Problem(422, "invalid-value", "a text contains a character that cannot be stored (an unpaired surrogate)")
    return Problem(422, "invalid-value", DATA_EXCEPTIONS.get(state, "a value in the request cannot be stored"))




def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return render(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Bounded: a large body with an error per item must not come back as an even larger answer.
        found = exc.errors()
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in found[:MAX_ERRORS]
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        extra: dict[str, Any] = {"errors": errors}
        if len(found) > MAX_ERRORS:
            extra["more_errors"] = len(found) - MAX_ERRORS
        return render(Problem(422, "validation-error", detail or "invalid request", **extra), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden",
                413: "payload-too-large"}.get(
            exc.status_code, "http-error"
        )
        problem = Problem(exc.status_code, slug, str(exc.detail))
        problem.headers.update(exc.headers or {})
        return render(problem, request)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A constraint the use case did not check first: still the client's conflict, not our crash.
        constraint = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None)
        log.info("integrity violation on %s: %s", request.url.path, constraint)
        detail = f"conflicts with existing data ({constraint})" if constraint else "conflicts with existing data"
        return render(Problem(409, "conflict", detail), request)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if isinstance(exc, IntegrityError):
            return await _integrity(request, exc)
        if (problem := data_exception(exc)) is not None:
            log.info("data exception on %s %s: %s", request.method, request.url.path, problem.detail)
            return render(problem, request)
        log.warning("database error on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)
        if exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError)) or sqlstate in BUSY_SQLSTATES:
            problem = Problem(503, "service-unavailable", "The database is not reachable right now; try again shortly.")
            problem.headers["Retry-After"] = "2"
            return render(problem, request)
        return render(Problem(500, "internal-error", "Something went wrong on our side."), request)

    @app.exception_handler(ConnectionError)
    @app.exception_handler(asyncpg.PostgresError)
    async def _not_connected(request: Request, exc: Exception) -> JSONResponse:
        # Raised while a new connection is made, before SQLAlchemy wraps anything: the server refuses or
        # resets it (restarting, down), or is starting up or shutting down (57P03, 57P01). Busy, not broken.
        if isinstance(exc, asyncpg.PostgresError) and not (
                isinstance(exc, asyncpg.PostgresConnectionError) or getattr(exc, "sqlstate", None) in BUSY_SQLSTATES):
            return await _unexpected(request, exc)
        log.warning("no database connection on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        problem = Problem(503, "service-unavailable", "The database is not reachable right now; try again shortly.")
        problem.headers["Retry-After"] = "2"
        return render(problem, request)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(request: Request, exc: PoolTimeout) -> JSONResponse:
        # every connection of this process's budget is in use for longer than the pool timeout
        log.warning("no database connection free in time on %s %s", request.method, request.url.path)
        problem = Problem(503, "service-busy", "The service is busy right now; try again shortly.")
        problem.headers["Retry-After"] = "1"
        return render(problem, request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return render(Problem(500, "internal-error", "Something went wrong on our side."), request)
