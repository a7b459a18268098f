"""Assembles the web app: ``build().main()`` serves it (``python -m web``); ``build().create_app()`` for
uvicorn and tests. No database, no broker: the lifespan opens the gateway's client, nothing else. The
same security headers and body limit as every service (kit.http); uvicorn's access log stays off, since
the links' paths hold secrets."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from kit import http
from kit.bus import Consumers
from kit.settings import ConfigurationError
from web.gateway import Gateway, GatewayDown
from web.marketplace import router as marketplace_router
from web.page import Page, Redirect
from web.pages import router as pages_router
from web.session import Refresher
from web.settings import Settings
from web.signin import router as signin_router

STATIC = Path(__file__).parent / "static"

log = logging.getLogger(__name__)


class WebService:
    """The web app, shaped like a kit ``Service`` where tests and the runner need it (``create_app``,
    ``servers``, ``main``, no consumers) but with nothing to migrate and no relay."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.consumers = Consumers()
        self.root = None

    def create_app(self) -> FastAPI:
        settings = self.settings
        settings.check()

        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            app.state.gateway = Gateway(settings.gateway_url, settings.gateway_timeout_s)
            app.state.refresher = Refresher()
            try:
                yield
            finally:
                await app.state.gateway.close()
                log.info("web stopped cleanly")

        app = FastAPI(title="web", description="The platform's web app: signing in, the marketplace client's pages, the pages behind the links in its emails.",
                      lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
        app.state.settings = settings
        app.include_router(pages_router)
        app.include_router(signin_router)
        app.include_router(marketplace_router)
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

        @app.exception_handler(Redirect)
        async def redirect(request: Request, to: Redirect) -> Response:
            """Nobody signed in (or the session ended): to the sign-in page, as a page or an htmx request."""
            if request.headers.get("hx-request") == "true":
                response: Response = Response(status_code=200, headers={"HX-Redirect": to.to})
            else:
                response = RedirectResponse(to.to, status_code=303)
            return to.page.finish(response) if to.page else response

        @app.get("/health/live", include_in_schema=False)
        async def live() -> dict[str, str]:
            return {"status": "ok"}

        @app.get("/health/ready", include_in_schema=False)
        async def ready(request: Request) -> Response:
            up = await request.app.state.gateway.live()
            return JSONResponse({"status": "ok" if up else "down", "gateway": "up" if up else "down"},
                                status_code=200 if up else 503)

        @app.exception_handler(GatewayDown)
        async def gateway_down(request: Request, error: GatewayDown) -> Response:
            log.warning("the gateway did not answer: %s", error)
            page = Page(request)
            return page.message(page.t.error_title, page.t.unavailable, 503, alert=True)

        @app.exception_handler(StarletteHTTPException)
        async def not_found(request: Request, error: StarletteHTTPException) -> Response:
            page = Page(request)
            text = page.t.not_found if error.status_code == 404 else page.t.error_title
            return page.message(page.t.error_title, text, error.status_code, alert=True)

        http.install(app, settings)
        return app

    def servers(self, app: FastAPI, *, host: str | None = None) -> list[Any]:
        import uvicorn

        return [uvicorn.Server(uvicorn.Config(app, host=host or self.settings.http_host, port=self.settings.http_port,
                                              lifespan="on", log_level="warning", access_log=False,
                                              timeout_keep_alive=self.settings.http_keep_alive_s, proxy_headers=False))]

    def main(self, argv: Sequence[str] | None = None) -> None:
        parser = argparse.ArgumentParser(prog="python -m web")
        parser.add_argument("command", nargs="?", default="serve", choices=["serve"])
        parser.parse_args(argv)
        try:
            self.settings.check()
        except ConfigurationError as refused:
            print("web refuses to start in production:", file=sys.stderr)
            for line in refused.problems:
                print(f"  {line}", file=sys.stderr)
            raise SystemExit(2) from None
        logging.basicConfig(level=self.settings.log_level.upper(),
                            format="%(asctime)s %(levelname)s [web] %(name)s: %(message)s")
        asyncio.run(self.servers(self.create_app())[0].serve())


def build(settings: Settings | None = None) -> WebService:
    return WebService(settings or Settings())


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
