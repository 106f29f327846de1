"""The JSON API: the dashboard's read models with the same permissions (session cookie)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from verbund.dashboard.pages import prefect_ui
from verbund.dashboard.web import app_of, call, principal
from verbund.domain.errors import NotFound, TemplateError
from verbund.services.access.users import Principal
from verbund.services.forecast.cache import network_forecast
from verbund.services.readmodels.network_page import network_page, network_scope
from verbund.services.readmodels.overview import OverviewQuery, overview
from verbund.services.readmodels.read_models import Me, NetworkPage, Overview, StageView
from verbund.services.readmodels.read_models import NetworkForecast as ReadNetworkForecast
from verbund.services.stages.lifecycle import show_stage

router = APIRouter(prefix="/api", tags=["api"])


async def _who(request: Request) -> Principal:
    who = await principal(request)
    if who is None:
        raise HTTPException(status_code=401, detail="Anmeldung erforderlich")
    return who


async def _readable(request: Request, slug: str) -> None:
    who = await _who(request)
    try:
        scope = await call(network_scope, app_of(request), slug)
    except NotFound as error:
        raise HTTPException(status_code=404, detail="nicht gefunden") from error
    if not who.may_read(*scope):
        raise HTTPException(status_code=404, detail="nicht gefunden")


@router.get(
    "/me", response_model=Me,
    summary="Die angemeldete Person und ihr Zuständigkeitsbereich")
async def me(request: Request) -> dict[str, Any]:
    who = await _who(request)
    return {"email": who.email, "name": who.name, "role": who.role, "lands": sorted(who.lands),
            "regions": sorted(who.regions), "networks": sorted(who.networks)}


@router.get(
    "/overview", response_model=Overview,
    summary="Verbünde × Stufen (höchstens 100 je Seite), Abdeckung, Nachrichten")
async def overview_api(
    request: Request,
    region: Annotated[str | None, Query(max_length=100)] = None,
    land: Annotated[str | None, Query(max_length=2)] = None,
    state: Annotated[str | None, Query(pattern="^(pending|open|ready|completed|waived|overdue)$")] = None,
    sort: Annotated[str, Query(pattern="^(slug|region|progress|overdue)$")] = "slug",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    risk: Annotated[str | None, Query(pattern="^(on_track|at_risk|missed|stalled)$")] = None,
) -> dict[str, Any]:
    who = await _who(request)
    return await call(overview, app_of(request), who, OverviewQuery(region, land, state, sort, page, risk=risk))


@router.get(
    "/networks/{slug}", response_model=NetworkPage,
    summary="Ein Verbund: Mitglieder, Stufen mit Verlauf, Arbeitsstände, Nachrichten")
async def network_api(request: Request, slug: str) -> dict[str, Any]:
    await _readable(request, slug)
    return await call(network_page, app_of(request), slug, prefect_ui())


@router.get(
    "/networks/{slug}/stages/{stage}", response_model=StageView,
    summary="Eine Stufe: Zustand, offene Kriterien, Verlauf")
async def stage_api(request: Request, slug: str, stage: str) -> dict[str, Any]:
    await _readable(request, slug)
    try:
        return await call(show_stage, app_of(request), slug, stage)
    except (NotFound, TemplateError) as error:  # TemplateError: the template has no such stage
        raise HTTPException(status_code=404, detail="nicht gefunden") from error


@router.get(
    "/networks/{slug}/forecast", response_model=ReadNetworkForecast,
    summary="Die Prognose eines Verbunds (im Voraus berechnet): P50/P80/P95, Risiko, Grundlage je Stufe")
async def forecast_api(request: Request, slug: str) -> dict[str, Any]:
    await _readable(request, slug)
    found = await call(network_forecast, app_of(request), slug)
    if found is None:
        raise HTTPException(status_code=404, detail="noch keine Prognose berechnet")
    return found
