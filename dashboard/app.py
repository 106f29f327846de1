"""The dashboard's FastAPI application (server-rendered German pages, a JSON API, ``/healthz``)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from verbund.dashboard import accessibility, api, directory, pages, partner, privacy, regions, reports
from verbund.dashboard.limits import BodyLimit
from verbund.dashboard.page_cache import PageCache
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


def create_app(app: App) -> FastAPI:
    """The web app over an already bootstrapped service layer (its trigger runs the stage flows)."""
    web = FastAPI(title="verbund", version="1", summary="Dashboard und API der Kooperationsverbünde",
                  docs_url=None, redoc_url=None)
    web.state.verbund = app
    web.state.page_cache = PageCache()
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

    @web.get("/healthz", tags=["betrieb"], summary="Lebenszeichen")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @web.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path.startswith(("/eingabe", "/verbund", "/uebersicht", "/api", "/konto", "/berichte",
                                         "/verzeichnis", "/einladung")):
            # a page with an ETag (issue 20) may be kept by the browser, but only after asking again
            response.headers["Cache-Control"] = "private, no-cache" if "etag" in response.headers else "no-store"
        return response

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
