"""Partner pages reached through a signed link (no account): input, deputy, channels, fresh link."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from verbund.dashboard.web import BadForm, app_of, back, call, check_csrf, form, partner_csrf, render
from verbund.domain.errors import AlreadyRecorded, DomainError
from verbund.domain.formatting import count
from verbund.domain.work import AREA_LABELS, CATEGORY_LABELS
from verbund.services.inputs import partners
from verbund.services.inputs.links import LinkExpired, LinkInvalid, LinkScope, verify

router = APIRouter()


def _refusal(request: Request, error: Exception, token: str, status_code: int) -> Response:
    expired = isinstance(error, LinkExpired)
    return render(request, "partner_refused.html", status_code=status_code, expired=expired,
                  token=token if expired else "", csrf=partner_csrf(app_of(request), token) if expired else "",
                  reason=str(error), path=request.url.path)


async def _scope(request: Request, network: str, stage: str, token: str) -> LinkScope:
    scope = await call(verify, app_of(request), token)
    if scope.network != network or scope.stage != stage:
        raise LinkInvalid("Der Link passt nicht zu dieser Seite")
    return scope


@router.get("/eingabe/{network}/{stage}", response_class=HTMLResponse, include_in_schema=False)
async def partner_page(request: Request, network: str, stage: str) -> Response:
    token = request.query_params.get("t", "")
    try:
        scope = await _scope(request, network, stage, token)
        view = await call(partners.view, app_of(request), scope)
    except LinkExpired as error:
        return _refusal(request, error, token, 410)
    except DomainError as error:
        return _refusal(request, error, token, 403)
    return render(request, "partner.html", v=view, token=token, csrf=partner_csrf(app_of(request), token),
                  categories=CATEGORY_LABELS, areas=AREA_LABELS)


@router.post("/eingabe/{network}/{stage}", include_in_schema=False)
async def partner_submit(request: Request, network: str, stage: str) -> Response:
    data = await form(request)
    token = data.get("t", "")
    app = app_of(request)
    try:
        scope = await _scope(request, network, stage, token)
    except LinkExpired as error:
        return _refusal(request, error, token, 410)
    except DomainError as error:
        return _refusal(request, error, token, 403)
    check_csrf(partner_csrf(app, token), data.get("csrf"))
    here = f"/eingabe/{network}/{stage}?t={token}"
    try:
        notice = await call(_dispatch, app, scope, data)
    except partners.NotAPartner as error:
        return _refusal(request, error, token, 403)
    except AlreadyRecorded as taken:  # a replay or a concurrent twin: the normal answer, nothing lost
        return back(here, notice=str(taken))
    except DomainError as error:
        return back(here, error=str(error))
    return back(here, notice=notice)


def _dispatch(app: object, scope: LinkScope, data: dict[str, str]) -> str:
    from verbund.services.app.bootstrap import App

    assert isinstance(app, App)
    what = data.get("was", "")
    if what == "analyse":
        answers = {c: (data.get(f"text-{c}", ""), data.get(f"none-{c}") == "1", data.get(f"reason-{c}", ""))
                   for c in CATEGORY_LABELS}
        changed = partners.submit_analysis(app, scope, answers)
        if not changed:  # the same answers again (a replay, or the twin of a double submission)
            return "Diese Angaben sind bereits erfasst; es wurde nichts doppelt gespeichert."
        return f"Vielen Dank! {count(changed, 'Angabe', 'Angaben')} gespeichert."
    if what == "potenzial":
        partners.submit_potential(app, scope, data.get("area", ""), data.get("title", ""), data.get("description", ""))
        return "Vielen Dank! Das Potenzial ist gespeichert."
    if what == "zusage":
        partners.submit_rsvp(app, scope, data.get("attending") == "1", data.get("represented_by", ""))
        return "Vielen Dank für Ihre Rückmeldung."
    if what == "einspruch":
        if not partners.submit_objection(app, scope, data.get("text", "")):
            return "Dieser Einspruch ist bereits erfasst; es wurde nichts doppelt gespeichert."
        return "Ihr Einspruch ist eingegangen."
    if what == "vertretung":
        if not partners.name_deputy(app, scope, data.get("name", ""), data.get("email", "")):
            return "Diese Vertretung ist für diese Stufe bereits eingetragen; es wurde nichts doppelt gespeichert."
        return "Ihre Vertretung ist für diese Stufe eingetragen."
    if what in ("kanal-aus", "kanal-an"):
        partners.switch_channel(app, scope, data.get("channel", ""), on=what == "kanal-an")
        return "Kanal ausgeschaltet." if what == "kanal-aus" else "Kanal wieder eingeschaltet."
    raise BadForm("Unbekannte Aktion")


@router.post("/eingabe/{network}/{stage}/neuer-link", include_in_schema=False)
async def fresh_link(request: Request, network: str, stage: str) -> Response:
    data = await form(request)
    token = data.get("t", "")
    app = app_of(request)
    check_csrf(partner_csrf(app, token), data.get("csrf"))
    try:
        await _scope(request, network, stage, token)
    except LinkExpired as expired:
        if expired.scope.network != network or expired.scope.stage != stage:
            return _refusal(request, LinkInvalid("Der Link passt nicht zu dieser Seite"), token, 403)
        try:
            name = await call(partners.send_fresh_link, app, expired.scope)
        except DomainError as error:
            return render(request, "partner_refused.html", status_code=400, expired=False, token="", csrf="",
                          reason=str(error), path=request.url.path)
        return render(request, "partner_refused.html", expired=False, token="", csrf="", path=request.url.path,
                      reason="", sent=f"Ein neuer Link wurde an {name} gesendet.")
    except DomainError as error:
        return _refusal(request, error, token, 403)
    return back(f"/eingabe/{network}/{stage}?t={token}", notice="Ihr Link ist noch gültig.")
