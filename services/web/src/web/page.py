"""One request's page: its language, texts, CSRF nonce and, when someone is signed in, their session.

The language is ``?lang=`` (remembered in the ``web_lang`` cookie when it comes from the switch in every
page's header), else that cookie, else the signed-in account's language, else the browser's Accept-Language, else
WEB_DEFAULT_LANGUAGE. Every response a page makes goes through :meth:`Page.finish`, which sets the cookies
the request changed (a new CSRF nonce, the refreshed session, the language)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kit.net import client_ip
from web import i18n, rules, security
from web import session as sessions
from web.gateway import Answer, Gateway

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(("html",)), trim_blocks=True, lstrip_blocks=True)
LANG_COOKIE = "web_lang"


class Redirect(Exception):
    """Leave this page for ``to`` (a sign-in page when nobody is signed in): app.py answers 303, or an
    HX-Redirect to an htmx request."""

    def __init__(self, to: str, page: Page | None = None) -> None:
        super().__init__(to)
        self.to = to
        #: the page whose cookies the redirect sets (a session the gateway ended is cleared)
        self.page = page


class Page:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.settings = request.app.state.settings
        self.secret = self.settings.cookie_secret.get_secret_value()
        self.session = sessions.decode(self.secret, request.cookies.get(sessions.COOKIE))
        self.session_changed = False
        asked = request.query_params.get("lang")
        # the header's switch (``?lang=nl&switch=1``) is remembered; a form's ``?lang=`` keeps one flow's language
        switched = request.query_params.get("switch") == "1" and asked in i18n.LANGUAGES
        self.remember_language = asked if switched and asked != request.cookies.get(LANG_COOKIE) else None
        remembered = request.cookies.get(LANG_COOKIE)
        preferred = remembered if remembered in i18n.LANGUAGES else (self.session.language if self.session else None)
        self.language = i18n.choose(asked, request.headers.get("accept-language"), self.settings.default_language,
                                    preferred=preferred)
        self.t = i18n.Texts(self.language)
        self.nonce = security.unsign(self.secret, security.CSRF_COOKIE, request.cookies.get(security.CSRF_COOKIE))
        self.new_nonce = self.nonce is None
        self.nonce = self.nonce or security.new_nonce()
        self.csrf = security.csrf_token(self.secret, self.nonce)
        self.extra_cookies: list[tuple[str, str, dict[str, Any]]] = []
        self.cleared_cookies: list[str] = []

    @property
    def gateway(self) -> Gateway:
        return self.request.app.state.gateway

    @property
    def ip(self) -> str:
        return client_ip(self.request, self.settings.trusted_proxies)

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def action(self, path: str | None = None) -> str:
        """A form's target: the page itself (or ``path``) in the same language."""
        return f"{path or self.request.url.path}?lang={self.language}"

    # responses -------------------------------------------------------------------------------------------
    def finish(self, response: Response) -> Response:
        secure = self.settings.secure_cookies
        if self.new_nonce:
            response.set_cookie(security.CSRF_COOKIE, security.sign(self.secret, security.CSRF_COOKIE, self.nonce),
                                httponly=True, samesite="strict", secure=secure, path="/")
        if self.remember_language:
            response.set_cookie(LANG_COOKIE, self.remember_language, max_age=365 * 24 * 3600, httponly=True,
                                samesite="lax", secure=secure, path="/")
        if self.session_changed:
            if self.session is None:
                response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
            else:
                response.set_cookie(sessions.COOKIE, sessions.encode(self.secret, self.session), httponly=True,
                                    samesite="lax", secure=secure, path="/")
        for name, value, options in self.extra_cookies:
            response.set_cookie(name, value, httponly=True, samesite="lax", secure=secure, path="/", **options)
        for name in self.cleared_cookies:
            response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure)
        return response

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = TEMPLATES.get_template(template).render({
            "t": self.t, "lang": self.language, "languages": i18n.LANGUAGES, "csrf_field": security.CSRF_FIELD,
            "csrf": self.csrf, "path": self.request.url.path, "action": self.action(), "me": self.session,
            "fmt": rules.Formatter(self.language, self.settings.time_zone), **context})
        response = HTMLResponse(html, status_code=status)
        self.finish(response)
        return response

    def redirect(self, to: str) -> Response:
        """To another page of the web app (303 after a form; an HX-Redirect for htmx)."""
        if self.htmx:
            response: Response = Response(status_code=200, headers={"HX-Redirect": to})
        else:
            response = RedirectResponse(to, status_code=303)
        return self.finish(response)

    def message(self, title: str, text: str, status: int = 200, *, link: tuple[str, str] | None = None,
                alert: bool = False) -> HTMLResponse:
        return self.render("message.html", status, title=title, text=text, link=link, alert=alert)

    def problem(self, answer: Answer, title: str, texts: dict[int | str, str] | None = None,
                link: tuple[str, str] | None = None) -> HTMLResponse:
        """The page for a problem the gateway answered: a text by its type or status, else its detail."""
        texts = texts or {}
        text = texts.get(answer.problem) or texts.get(answer.status)
        if text is None:
            text = self.t.too_many if answer.status == 429 else answer.detail or self.t.error_title
        return self.message(title, text, answer.status, link=link, alert=True)

    def error_text(self, answer: Answer) -> str:
        return self.t.too_many if answer.status == 429 else answer.detail or self.t.error_title

    # forms -----------------------------------------------------------------------------------------------
    async def form(self) -> dict[str, str] | None:
        """The posted form's fields, or None when its CSRF token does not match the cookie (htmx sends it in
        the X-CSRF-Token header)."""
        fields = {k: v[0] for k, v in parse_qs((await self.request.body()).decode(errors="replace"),
                                               keep_blank_values=True).items()}
        submitted = fields.get(security.CSRF_FIELD) or self.request.headers.get("x-csrf-token")
        if not security.csrf_ok(self.secret, self.request.cookies.get(security.CSRF_COOKIE), submitted):
            return None
        return fields

    def csrf_refused(self) -> HTMLResponse:
        return self.message(self.t.error_title, self.t.csrf, 403, alert=True)

    def set_cookie(self, name: str, value: str, **options: Any) -> None:
        """A signed, HttpOnly, SameSite=Lax cookie of a sign-in step (``max_age`` in options)."""
        encoded = base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")  # any text, as a cookie's plain token
        self.extra_cookies.append((name, security.sign(self.secret, name, encoded), options))

    def cookie(self, name: str) -> str | None:
        encoded = security.unsign(self.secret, name, self.request.cookies.get(name))
        if encoded is None:
            return None
        try:
            return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except ValueError:
            return None

    def clear_cookie(self, name: str) -> None:
        self.cleared_cookies.append(name)

    # the session -----------------------------------------------------------------------------------------
    def start_session(self, session: sessions.Session | None) -> None:
        self.session = session
        self.session_changed = True

    def require(self, *, limited_ok: bool = False) -> sessions.Session:
        """The signed-in session, else off to the sign-in page (and back here after it); a limited session
        (first login) goes to the step it still has to do."""
        if self.session is None:
            back = self.request.url.path + (f"?{self.request.url.query}" if self.request.url.query else "")
            raise Redirect(f"/sign-in?next={quote(back, safe='')}", self)
        if self.session.limited and not limited_ok:
            raise Redirect("/sign-in/finish", self)
        return self.session

    async def _refresh(self) -> bool:
        assert self.session is not None
        old = self.session

        async def call() -> dict[str, Any] | None:
            answer = await self.gateway.post("/identity/token/refresh", {"refresh_token": old.refresh_token},
                                             client_ip=self.ip)
            return answer.body if answer.ok else None

        tokens = await self.request.app.state.refresher.refresh(old.refresh_token, call)
        if tokens is None:
            self.start_session(None)
            return False
        self.start_session(sessions.Session.of(tokens, keep=old))
        return True

    async def call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None, limited_ok: bool = False) -> Answer:
        """A gateway route as the signed-in person: the access token refreshed first when it is due, and
        once more on a 401; a session the gateway no longer knows goes to the sign-in page."""
        self.require(limited_ok=limited_ok)
        assert self.session is not None
        if self.session.due() and not await self._refresh():
            raise Redirect("/sign-in", self)
        answer = await self.gateway.request(method, path, json=json, params=params, headers=headers,
                                            client_ip=self.ip, token=self.session.access_token)
        if answer.status == 401:
            if not await self._refresh():
                raise Redirect("/sign-in", self)
            answer = await self.gateway.request(method, path, json=json, params=params, headers=headers,
                                                client_ip=self.ip, token=self.session.access_token)
        return answer
