"""The dashboard's FastAPI application (server-rendered German pages, a JSON API, ``/healthz``)."""

from __future__ import annotations

import gc
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verbund.dashboard import accessibility, api, directory, pages, partner, privacy, regions, reports
from verbund.dashboard.limits import BodyLimit
from verbund.dashboard.page_cache import LRU, NETWORK_DATA, PageCache, SingleFlight
from verbund.dashboard.web import MAX_BODY, BadForm, Forbidden, Hidden, render, use_operator_texts
from verbund.services.app.bootstrap import App

log = logging.getLogger("verbund.dashboard")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # partner links carry their token in the URL
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'",
}
PRIVATE = ("/eingabe", "/verbund", "/uebersicht", "/api", "/konto", "/berichte", "/verzeichnis", "/einladung")


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` and the ``Cache-Control`` of private pages to every response, as a
    plain ASGI middleware (Starlette's ``BaseHTTPMiddleware`` cost each request ~0.3 ms of task groups
    and memory streams)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = scope["path"].startswith(PRIVATE)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
                if private:
                    # a page with an ETag (issue 20) may be kept by the browser, but only after asking again
                    headers["Cache-Control"] = "private, no-cache" if "etag" in headers else "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(app: App) -> FastAPI:
    """The web app over an already bootstrapped service layer (its trigger runs the stage flows)."""
    web = FastAPI(title="verbund", version="1", summary="Dashboard und API der Kooperationsverbünde",
                  docs_url=None, redoc_url=None)
    web.state.verbund = app
    web.state.page_cache = PageCache()
    web.state.network_data = LRU(NETWORK_DATA)  # network pages' read models, shared by the roles
    web.state.network_building = SingleFlight()  # ... and those being read right now
    use_operator_texts(app.settings.texts_dir)
    web.include_router(pages.router)
    web.include_router(partner.router)
    web.include_router(reports.router)
    web.include_router(directory.router)
    web.include_router(regions.router)
    web.include_router(accessibility.router)
    web.include_router(api.router)
    web.include_router(privacy.router)

    web.add_middleware(BodyLimit, limit=MAX_BODY)  # refused while streaming, never read whole (issue 15)
    web.add_middleware(SecurityHeaders)  # outermost: the 413 of BodyLimit gets them too

    @web.get("/healthz", tags=["betrieb"], summary="Lebenszeichen")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}


    @web.exception_handler(pages._LoginRequired)
    async def login_required(request: Request, _error: Exception) -> Response:
        return RedirectResponse("/login", status_code=303)

    @web.exception_handler(Hidden)
    async def hidden(request: Request, _error: Exception) -> Response:
        return render(request, "message.html", status_code=404, title="Nicht gefunden",
                      text="Diese Seite gibt es nicht, oder sie gehört nicht zu Ihrem Bereich.")

    @web.exception_handler(Forbidden)
    async def forbidden(request: Request, _error: Exception) -> Response:
        return render(request, "message.html", status_code=403, title="Nicht erlaubt",
                      text="Diese Aktion ist Ihrer Rolle nicht erlaubt.")

    @web.exception_handler(BadForm)
    async def bad_form(request: Request, error: Exception) -> Response:
        if request.url.path.startswith("/api"):
            return JSONResponse({"detail": str(error)}, status_code=400)
        return render(request, "message.html", status_code=400, title="Formular nicht angenommen", text=str(error))

    @web.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:  # pragma: no cover - last resort
        log.exception("Fehler bei %s %s", request.method, request.url.path)
        return PlainTextResponse("Interner Fehler. Bitte später erneut versuchen.", status_code=500)

    return web


GC_THRESHOLDS = (50_000, 20, 20)  # Python's default (700, 10, 10)


def settle_heap() -> None:
    """Before serving: collect and freeze the start-up objects (~300,000: Prefect, SQLAlchemy, pydantic),
    so the collector's full passes do not walk them, and make the young collections rarer (issue 20).

    A page's first view allocates tens of thousands of short-lived objects and the page cache keeps
    long-lived ones; with the default thresholds, 160 network pages' and 8 region overviews' first
    views ran 349 young and 2 full collections (0.17 s of 3.6 s, full passes of 45-50 ms that stop
    every thread); with these, 2 young ones (0.04 s) and no full pass. The cost is up to ~50,000
    container objects of cyclic garbage held a little longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)

