"""The build-out report in the dashboard: the latest one, the list, and a new one for a chosen date."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from verbund.dashboard.pages import signed_in
from verbund.dashboard.web import Forbidden, Hidden, app_of, back, call, check_csrf, form, render
from verbund.domain.business_days import local_date
from verbund.domain.errors import DomainError
from verbund.services.readmodels.report_files import (
    EVERYTHING,
    FORMAT_LABELS,
    ReportNotAllowed,
    list_reports,
    may_report,
    produce_report,
    report_path,
    report_regions,
)

router = APIRouter()
MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
               "csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/berichte", response_class=HTMLResponse, include_in_schema=False)
async def reports_page(request: Request) -> Response:
    who = await signed_in(request)
    if not may_report(who):
        raise Forbidden()
    app = app_of(request)
    files = await call(list_reports, app, who)
    regions = await call(report_regions, app, who)
    scopes = ([(EVERYTHING, "Alle Regionen")] if who.reads_all else []) + regions
    return render(request, "reports.html", files=files, scopes=scopes, formats=FORMAT_LABELS,
                  today=local_date(app.now()).isoformat())


@router.post("/berichte", include_in_schema=False)
async def produce(request: Request) -> Response:
    who = await signed_in(request)
    if not may_report(who):
        raise Forbidden()
    data = await form(request)
    check_csrf(who.csrf, data.get("csrf"))
    try:
        made = await call(produce_report, app_of(request), who, data.get("as_of", ""), data.get("format", "pdf"),
                          data.get("region", ""))
    except ReportNotAllowed as error:
        raise Forbidden() from error
    except DomainError as error:
        return back("/berichte", error=str(error))
    return back("/berichte", notice=f"Bericht {made.name} erstellt.")


@router.get("/berichte/neuester", include_in_schema=False)
async def latest(request: Request) -> Response:
    who = await signed_in(request)
    if not may_report(who):
        raise Forbidden()
    files = await call(list_reports, app_of(request), who)
    if not files:
        return back("/berichte", error="Es gibt noch keinen Bericht. Bitte erstellen Sie einen.")
    return back(f"/berichte/{files[0].name}")


@router.get("/berichte/{name}", include_in_schema=False)
async def download(request: Request, name: str) -> Response:
    who = await signed_in(request)
    if not may_report(who):
        raise Forbidden()
    try:
        path = await call(report_path, app_of(request), who, name)
    except ReportNotAllowed as error:
        raise Hidden() from error
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix.lstrip(".")], filename=name,
                        content_disposition_type="attachment")
