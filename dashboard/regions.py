"""The region page (issue 13): the region's networks, its schools on a map and as a table, the
suggested assignment of unassigned schools; process owners create a network, accept the
suggestions with one click and move a school — through the same use cases as ``verbund network
create``, ``verbund assign suggest`` / ``assign school`` and ``verbund school move``. And the school
search of the overview (``/schulen?suche=``): which network a school is in, since when.

Readers: the ministry and the region's (or its Land's) process owners; others get 404. Actions:
process owners only (the ministry gets 403).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape

from verbund.dashboard.page_cache import cached_page
from verbund.dashboard.pages import signed_in, viewed
from verbund.dashboard.web import Forbidden, Hidden, app_of, back, call, check_csrf, form, read, render
from verbund.domain.access import UserRole
from verbund.domain.errors import DomainError, InvalidInput, NotFound
from verbund.domain.formatting import count
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App
from verbund.services.app.lru import LRU

router = APIRouter()


def _region_scope(app: App, slug: str) -> tuple[str, str, str]:
    from verbund.services.app.lookup import region_by_slug

    with app.uow(read_only=True) as uow:
        region = region_by_slug(uow.session, slug)
        return region.slug, region.name, region.state


async def _readable_region(request: Request, slug: str) -> tuple[Principal, tuple[str, str, str]]:
    who = await signed_in(request)
    try:
        scope = await read(_region_scope, app_of(request), slug)
    except NotFound as error:
        raise Hidden() from error
    if not who.may_read_region(scope[0], scope[2]):
        raise Hidden()
    return who, scope


def _page(app: App, slug: str) -> dict[str, object]:
    from verbund.services.directory.networks import list_networks
    from verbund.services.importers.assignment import suggestions
    from verbund.services.readmodels.region_map import region_points, render_svg

    points = region_points(app, slug)
    return {"networks": list_networks(app, slug), "points": points,
            "svg": render_svg(points, f"Schulen und Verbünde der Region {slug}"),
            "table": _table_rows(points["schools"]), "suggestions": suggestions(app, slug)["suggestions"]}


def _table_rows(schools: list[dict[str, Any]]) -> str:
    """The rows of the schools' table (as the template wrote them: one row per school, every value
    escaped; inserted with ``|safe`` like the map): thousands of rows cost the template ≈ 20 ms, a
    string built once per region version ≈ 2."""
    return "".join(
        f'<tr data-school="{escape(s["school"])}"><td>{escape(s["name"])}</td><td>{escape(s["school"])}</td>'
        f'<td>{escape(s["community"] or "")}</td><td>{escape(s["network_name"] or "nicht zugeordnet")}</td>'
        f'<td>{escape(s["latitude"])}</td><td>{escape(s["longitude"])}</td></tr>' for s in schools)


class RegionData:
    """The region page's data per (region, data versions), shared by every reader of the region (the
    page cache keeps one rendered page per role and scope: the ministry's, the Land's and the region's
    process owners' first views would each compute the map and suggestions again). Small: a region's
    data is ≈ 1 MB with its map."""

    def __init__(self, size: int = 16) -> None:
        self._entries: LRU[dict[str, object]] = LRU(size)  # by (region, data versions)

    def get(self, app: App, slug: str, stamp: str) -> dict[str, object]:
        key = (slug, stamp)
        found = self._entries.get(key)
        if found is None:
            found = _page(app, slug)  # outside the lock: two first readers may both compute it, never wait
            self._entries.put(key, found)
        return found


def _region_data(request: Request) -> RegionData:
    found: RegionData | None = getattr(request.app.state, "region_data", None)
    if found is None:
        found = request.app.state.region_data = RegionData()
    return found


@router.get("/region/{slug}", response_class=HTMLResponse, include_in_schema=False)
async def region_page(request: Request, slug: str) -> Response:
    who, view = await viewed(request, region=slug)
    if view.scope is None or not who.may_read_region(view.scope[0], view.scope[2]):
        raise Hidden()
    region, name, land = view.scope
    from verbund.services.importers.assignment import DEFAULT_TEMPLATES

    app = app_of(request)

    async def build(reader: Principal) -> Response:
        if app.settings.dashboard_cache:  # the same data versions as the page's: never older than them
            data = await read(_region_data(request).get, app, slug, view.stamp)
        else:
            data = await read(_page, app, slug)
        return render(request, "region.html", user=reader, region=region, region_name=name, land=land, r=data,
                      may_decide=reader.role == UserRole.process_owner,
                      default_template=DEFAULT_TEMPLATES.get(land, ""))

    return await cached_page(request, who, view.stamp, app.settings.dashboard_cache, build)


def create_network(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.directory.networks import create_network as create

    made = create(app, (data.get("slug") or "").strip(), name=data.get("name", ""), region=slug,
                  template=data.get("template") or None, by=who.email)
    return f"Verbund {made['slug']} angelegt"


def accept_suggestions(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    """Every suggestion that names a network becomes a manual assignment (reason: the suggestion)."""
    from verbund.services.importers.assignment import assign_school, suggestions

    accepted = 0
    for row in suggestions(app, slug)["suggestions"]:
        if row["network"]:
            school = _school_key(app, row["source_id"], slug)
            assign_school(app, school, row["network"], by=who.email,
                          reason=f"Vorschlag übernommen ({row['distance_km']} km zur nächsten Mitgliedsschule)")
            accepted += 1
    if not accepted:
        raise InvalidInput("Keine Vorschläge mit Verbund (Schulen ohne Koordinaten? verbund import coordinates)")
    return count(accepted, "Vorschlag", "Vorschläge") + " übernommen"


def _school_key(app: App, source_id: str, region: str) -> str:
    from sqlmodel import select

    from verbund.domain.models import Organisation
    from verbund.services.app.lookup import region_by_slug

    with app.uow(read_only=True) as uow:
        found = uow.session.exec(select(Organisation.source).where(
            Organisation.source_id == source_id,
            Organisation.region_id == region_by_slug(uow.session, region).id)).first()
        if found is None:
            raise NotFound("Schule", source_id)
        return f"{found}:{source_id}"


def move_school(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.directory.networks import move_school as move

    school, network = (data.get("school") or "").strip(), (data.get("network") or "").strip()
    if not school or not network:
        raise InvalidInput("Schule und Ziel-Verbund angeben")
    moved = move(app, school, network, reason=data.get("reason", ""), by=who.email)
    return f"{school} → {moved['network']}"


REGION_ACTIONS = {"verbund-anlegen": create_network, "vorschlaege-uebernehmen": accept_suggestions,
                  "schule-umordnen": move_school}


@router.post("/region/{slug}/aktion/{name}", include_in_schema=False)
async def region_action(request: Request, slug: str, name: str) -> Response:
    who, (region, _name, _land) = await _readable_region(request, slug)
    handler = REGION_ACTIONS.get(name)
    if handler is None:
        raise Hidden()
    if who.role != UserRole.process_owner:
        raise Forbidden()
    data = await form(request)
    check_csrf(who.csrf, data.get("csrf"))
    try:
        notice = await call(handler, app_of(request), region, data, who)
    except DomainError as error:
        return back(f"/region/{region}", error=str(error))
    return back(f"/region/{region}", notice=notice)


@router.get("/schulen", response_class=HTMLResponse, include_in_schema=False)
async def school_search(request: Request) -> Response:
    """Find a school; its network is named only where the person may read it."""
    who = await signed_in(request)
    text = request.query_params.get("suche", "").strip()
    found: list[dict[str, Any]] = []
    error = None
    if text:
        from verbund.services.directory.networks import find_schools

        try:
            found = await read(find_schools, app_of(request), text)
        except DomainError as refused:
            error = str(refused)
    scopes = await read(_network_scopes, app_of(request))
    for row in found:
        scope = scopes.get(str(row["network"] or ""))
        row["readable"] = scope is not None and who.may_read(*scope)
    return render(request, "schools.html", found=found, search=text, error=error)


def _network_scopes(app: App) -> dict[str, tuple[str, str, str]]:
    from sqlmodel import col, select

    from verbund.domain.models import Network, Region

    with app.uow(read_only=True) as uow:
        rows = uow.session.exec(select(Network.slug, Region.slug, Region.state)
                                .join(Region, col(Region.id) == col(Network.region_id))).all()
        return {slug: (slug, region, state) for slug, region, state in rows}
