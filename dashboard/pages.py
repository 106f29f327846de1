"""Pages for signed-in users: login/logout, overview, network, stage, stand-in; the network actions."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from verbund.dashboard.actions import ACTIONS, ShownOnce
from verbund.dashboard.page_cache import LRU, SingleFlight, cached_page
from verbund.dashboard.web import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    Forbidden,
    Hidden,
    app_of,
    back,
    call,
    check_csrf,
    form,
    login_nonce,
    principal,
    read,
    render,
)
from verbund.domain.access import stand_in_end
from verbund.domain.dates import parse_day
from verbund.domain.errors import DomainError, NotFound, TemplateError
from verbund.domain.forecast import RISK_KEYS
from verbund.domain.labels import MESSAGE_KIND_LABELS, MESSAGE_STATUS_LABELS
from verbund.domain.models import KIND_LABELS
from verbund.services.access import users
from verbund.services.access.page_view import PageView, page_view
from verbund.services.access.throttle import LoginThrottled
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import local_date
from verbund.services.forecast.cache import is_current, is_current_in, network_forecast_in, refresh_forecasts
from verbund.services.readmodels.network_glance import MessageQuery, parse_message_query
from verbund.services.readmodels.network_page import find_organisations, network_page_in
from verbund.services.readmodels.overview import RISK_FILTERS, SORTS, STATE_FILTERS, OverviewQuery, overview
from verbund.services.stages.lifecycle import show_stage

router = APIRouter()
RISK_LABELS = {key: word for word, key in RISK_KEYS.items()}  # issue 19: the forecast's risk words


def prefect_ui() -> str | None:
    """The Prefect UI's base URL when a Prefect server is configured (else the runs are not kept)."""
    ui = os.environ.get("PREFECT_UI_URL")
    api = os.environ.get("PREFECT_API_URL")
    return ui or (api.removesuffix("/").removesuffix("/api") if api else None)


async def signed_in(request: Request) -> Principal:
    who = await principal(request)
    if who is None:
        raise _LoginRequired()
    return who


class _LoginRequired(Exception):
    pass


async def viewed(request: Request, **page: str | bool) -> tuple[Principal, PageView]:
    """The signed-in reader and the page's scope and data versions, in one read (``page_view``); a
    cached page needs nothing else when it is a hit."""
    view = await read(page_view, app_of(request), request.cookies.get(SESSION_COOKIE), **page)
    request.state.principal = view.reader
    if view.reader is None:
        raise _LoginRequired()
    return view.reader, view


async def readable_network(request: Request, slug: str) -> tuple[Principal, tuple[str, str, str]]:
    """The signed-in reader and the network's (slug, region, Land); 404 when unknown or not theirs."""
    who, view = await viewed(request, network=slug)
    if view.scope is None or not who.may_read(*view.scope):
        raise Hidden()
    return who, view.scope


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    await signed_in(request)
    return RedirectResponse("/uebersicht", status_code=303)


@router.get("/login", include_in_schema=False)
async def login_page(request: Request) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or login_nonce()
    response = render(request, "login.html", nonce=nonce)
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/login", include_in_schema=False)
async def login_submit(request: Request) -> Response:
    data = await form(request)
    check_csrf(request.cookies.get(LOGIN_COOKIE, ""), data.get("csrf"))
    try:
        token = await call(users.login, app_of(request), data.get("email", ""), data.get("password", ""),
                           request.client.host if request.client else "")
    except LoginThrottled as throttled:
        refused = render(request, "login.html", status_code=429, nonce=request.cookies.get(LOGIN_COOKIE),
                         error=str(throttled), email=data.get("email", ""))
        refused.headers["Retry-After"] = str(throttled.seconds)
        return refused
    if token is None:
        return render(request, "login.html", status_code=401, nonce=request.cookies.get(LOGIN_COOKIE),
                      error="E-Mail oder Passwort falsch.", email=data.get("email", ""))
    response = RedirectResponse("/uebersicht", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=users.SESSION_HOURS * 3600)
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    who = await signed_in(request)
    check_csrf(who.csrf, (await form(request)).get("csrf"))
    await call(users.logout, app_of(request), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _query(request: Request) -> OverviewQuery:
    params = request.query_params
    try:
        page = max(1, min(int(params.get("seite", "1")), 10_000))
    except ValueError:
        page = 1
    sort = params.get("sortierung", "slug")
    state = params.get("zustand") or None
    risk = params.get("risiko") or None
    return OverviewQuery(region=params.get("region") or None, land=params.get("land") or None,
                         state=state if state in STATE_FILTERS else None, sort=sort if sort in SORTS else "slug",
                         page=page, risk=risk if risk in RISK_FILTERS else None)


async def refresh_when_stale(request: Request, tasks: BackgroundTasks) -> None:
    """After a change (or on a new day) recompute the forecasts once the response is sent (issue 19)."""
    if not await read(is_current, app_of(request)):
        tasks.add_task(refresh_forecasts, app_of(request))


@router.get("/uebersicht", response_class=HTMLResponse, include_in_schema=False)
async def overview_page(request: Request, tasks: BackgroundTasks) -> Response:
    who, view = await viewed(request, overview=True)
    query = _query(request)
    app = app_of(request)

    async def build(reader: Principal) -> Response:  # only when the data versions or the day changed
        await refresh_when_stale(request, tasks)
        data = await read(overview, app, reader, query, shared=app.settings.dashboard_cache)
        return render(request, "overview.html", user=reader, data=data, query=query, sorts=SORTS,
                      states=STATE_FILTERS, risks=RISK_LABELS)

    return await cached_page(request, who, view.stamp, app.settings.dashboard_cache, build)


async def network_data(request: Request, tasks: BackgroundTasks, slug: str, query: MessageQuery,
                       stamp: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The network page's read model and forecast: the same for every reader, so kept by (network,
    message filter, stamp) in ``NETWORK_DATA`` and shared by the roles, which only render differently."""
    app = app_of(request)
    shared = app.settings.dashboard_cache
    memo: LRU[tuple[dict[str, Any], dict[str, Any] | None]] = request.app.state.network_data
    key = (slug, query, stamp)
    found = memo.get(key) if shared else None
    if found is None:
        async def load() -> tuple[dict[str, Any], dict[str, Any] | None]:
            page, outlook, current = await read(_network_data, app, slug, prefect_ui(), query, shared)
            if not current:  # after a change (or on a new day): recompute once the response is sent
                tasks.add_task(refresh_forecasts, app)
            if shared:
                memo.put(key, (page, outlook))
            return page, outlook

        building: SingleFlight[tuple[dict[str, Any], dict[str, Any] | None]] = request.app.state.network_building
        found = await (building.run(key, load) if shared else load())  # a reader of another role may be building it
        assert found is not None  # load always returns one
    return found


def _network_data(app: App, slug: str, ui: str | None, query: MessageQuery,
                  shared: bool) -> tuple[dict[str, Any], dict[str, Any] | None, bool]:
    """The page's read model, the stored forecast and whether the forecasts are current, in one snapshot."""
    with app.uow(read_only=True) as uow:
        session = uow.session
        return (network_page_in(session, app, slug, ui, query, shared=shared), network_forecast_in(session, slug),
                is_current_in(session, local_date(app.now())))


@router.get("/verbund/{slug}", response_class=HTMLResponse, include_in_schema=False)
async def network(request: Request, slug: str, tasks: BackgroundTasks) -> Response:
    who, view = await viewed(request, network=slug)
    if view.scope is None or not who.may_read(*view.scope):
        raise Hidden()
    scope = view.scope
    app = app_of(request)

    async def build(reader: Principal) -> Response:  # only when the data versions or the day changed
        message_query, notes = parse_message_query(dict(request.query_params))
        data, outlook = await network_data(request, tasks, slug, message_query, view.stamp)
        found = []
        if reader.may_act(*scope) and request.query_params.get("suche"):
            found = await read(find_organisations, app, request.query_params["suche"], network=slug)
        return render(request, "network.html", user=reader, n=data, may_act=reader.may_act(*scope),
                      may_decide=reader.may_decide(*scope), kind_labels=KIND_LABELS,
                      found=found, search=request.query_params.get("suche", ""), forecast=outlook, risks=RISK_LABELS,
                      filter_notes=notes,
                      messages_open=any(k in request.query_params for k in ("art", "status", "seite", "alle")),
                      message_kinds=MESSAGE_KIND_LABELS, message_statuses=MESSAGE_STATUS_LABELS)

    return await cached_page(request, who, view.stamp, app.settings.dashboard_cache, build)


@router.get("/verbund/{slug}/stufe/{stage}", response_class=HTMLResponse, include_in_schema=False)
async def stage_page(request: Request, slug: str, stage: str) -> Response:
    who, scope = await readable_network(request, slug)
    try:
        data = await read(show_stage, app_of(request), slug, stage)
    except (NotFound, TemplateError) as error:  # TemplateError: the template has no such stage
        raise Hidden() from error
    return render(request, "stage.html", s=data, may_decide=who.may_decide(*scope), may_act=who.may_act(*scope))


@router.post("/verbund/{slug}/aktion/{name}", include_in_schema=False)
async def network_action(request: Request, slug: str, name: str) -> Response:
    who, scope = await readable_network(request, slug)
    action = ACTIONS.get(name)
    if action is None:
        raise Hidden()
    allowed = who.may_decide(*scope) if action.permission == "decide" else who.may_act(*scope)
    if not allowed:
        raise Forbidden()
    data = await form(request)
    check_csrf(who.csrf, data.get("csrf"))
    target = f"/verbund/{slug}"
    try:
        notice = await call(action.handler, app_of(request), slug, data, who)
    except DomainError as error:
        return back(target, error=str(error))
    if isinstance(notice, ShownOnce):
        page = render(request, "link_once.html", link=str(notice), back_to=target)
        page.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
        return page
    return back(target, notice=notice)


@router.get("/ueber", response_class=HTMLResponse, include_in_schema=False)
async def about(request: Request) -> Response:
    """Über verbund: version, data sources and licences (the ODbL attribution of the Schulferien)."""
    await signed_in(request)
    from importlib.metadata import PackageNotFoundError, version

    from verbund.domain.ferien import ATTRIBUTION
    from verbund.services.app.ferien import known_ranges

    try:
        current = version("verbund")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout without install
        current = "unbekannt"
    ferien = await read(known_ranges, app_of(request))
    return render(request, "about.html", version=current, attribution=ATTRIBUTION, ferien=ferien)


@router.get("/konto", response_class=HTMLResponse, include_in_schema=False)
async def account(request: Request) -> Response:
    who = await signed_in(request)
    rows = await read(users.stand_ins, app_of(request), who.email) if who.role == "coordinator" else []
    return render(request, "account.html", stand_ins=rows)


@router.post("/konto/vertretung", include_in_schema=False)
async def stand_in(request: Request) -> Response:
    who = await signed_in(request)
    if who.role != "coordinator":
        raise Forbidden()
    data = await form(request)
    check_csrf(who.csrf, data.get("csrf"))
    try:
        until = stand_in_end(parse_day(data.get("until", ""), "Vertretung bis"))  # the CLI's --until too
        await call(users.set_stand_in, app_of(request), coordinator=who.email, stand_in=data.get("email", ""),
                   until=until, by=who.email)
    except (DomainError, ValueError) as error:
        return back("/konto", error=str(error) if isinstance(error, DomainError) else "Datum ungültig")
    return back("/konto", notice="Vertretung eingetragen")
