"""The region's schools on a map drawn by the project (SVG, no tiles from the internet), and the same
data as a table (issue 13): one mark per public school in scope with coordinates, a shape and a
number per network (not colour alone), unassigned schools as a hollow mark with "?", a legend, a
``<title>``/``<desc>`` text alternative and a ``<title>`` per mark naming the school.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from typing import Any

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import col

from verbund.domain.formatting import count
from verbund.domain.models import Membership, MembershipRole, Network, Organisation, Region
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import region_by_slug
from verbund.services.importers.coverage import active_membership, school_in_scope

WIDTH, HEIGHT, MARGIN, LEGEND = 640, 520, 24, 230
COLOURS = ("#1b6ca8", "#c0392b", "#27875a", "#8e44ad", "#d35400", "#2c3e50", "#b7950b", "#16a085")
SHAPES = ("circle", "square", "triangle", "diamond", "cross", "star")
UNASSIGNED = "nicht zugeordnet"


def region_points(app: App, region: str | None = None, at: dt.datetime | None = None) -> dict[str, Any]:
    """``{"schools": [{school, name, community, region, network, network_name, latitude, longitude}],
    "without_coordinates": N, "networks": [{slug, name, shape, colour, number, schools}]}``."""
    at = at or app.now()
    school = type_coerce(col(Organisation.id), String)  # a key as stored: no UUID parsed per school
    with app.uow(read_only=True) as uow:
        session = uow.session
        query = (sa_select(school, col(Organisation.source), col(Organisation.source_id),
                           col(Organisation.name), col(Organisation.community), col(Region.slug),
                           col(Organisation.latitude), col(Organisation.longitude))
                 .join(Region, col(Region.id) == col(Organisation.region_id)).where(school_in_scope(at)))
        placed_query = (sa_select(type_coerce(col(Membership.organisation_id), String), col(Network.slug),
                                  col(Network.name))
                        .join(Network, col(Network.id) == col(Membership.network_id))
                        .where(active_membership(at), col(Membership.role) == MembershipRole.member))
        if region:
            region_id = region_by_slug(session, region).id
            query = query.where(col(Region.id) == region_id)
            placed_query = placed_query.join(Organisation, col(Organisation.id) == col(Membership.organisation_id)) \
                .where(col(Organisation.region_id) == region_id)  # the region's schools' memberships only
        rows = session.execute(query.order_by(col(Organisation.name))).all()
        placed = {oid: (slug, name) for oid, slug, name in session.execute(placed_query).all()}
    schools, missing = [], 0
    for oid, source, source_id, name, community, region_slug, lat, lon in rows:
        if lat is None or lon is None:
            missing += 1
            continue
        slug, network_name = placed.get(oid, (None, None))
        schools.append({"school": f"{source}:{source_id}", "name": name, "community": community,
                        "region": region_slug, "network": slug, "network_name": network_name,
                        "latitude": lat, "longitude": lon})
    names = sorted({(s["network"], s["network_name"]) for s in schools if s["network"]})
    networks = [{"slug": slug, "name": name, "number": index + 1, "shape": SHAPES[index % len(SHAPES)],
                 "colour": COLOURS[index % len(COLOURS)], "schools": sum(1 for s in schools if s["network"] == slug)}
                for index, (slug, name) in enumerate(names)]
    return {"schools": schools, "without_coordinates": missing, "networks": networks,
            "unassigned": sum(1 for s in schools if not s["network"])}


def _mark(shape: str, x: float, y: float, colour: str, size: float = 5.0) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="{colour}"/>'
    if shape == "square":
        side = 2 * size
        return f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{side:.1f}" height="{side:.1f}" fill="{colour}"/>'
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - size:.1f} {x + size:.1f},{y + size:.1f} {x - size:.1f},{y + size:.1f}" '
                f'fill="{colour}"/>')
    if shape == "diamond":
        return (f'<polygon points="{x:.1f},{y - size:.1f} {x + size:.1f},{y:.1f} {x:.1f},{y + size:.1f} '
                f'{x - size:.1f},{y:.1f}" fill="{colour}"/>')
    if shape == "cross":
        return (f'<path d="M{x - size:.1f},{y - size:.1f}L{x + size:.1f},{y + size:.1f}M{x + size:.1f},{y - size:.1f}'
                f'L{x - size:.1f},{y + size:.1f}" stroke="{colour}" stroke-width="2.5"/>')
    points = " ".join(f"{x + (size if i % 2 == 0 else size / 2.2) * math.sin(i * math.pi / 5):.1f},"
                      f"{y - (size if i % 2 == 0 else size / 2.2) * math.cos(i * math.pi / 5):.1f}" for i in range(10))
    return f'<polygon points="{points}" fill="{colour}"/>'


def _projection(schools: list[dict[str, Any]]) -> Any:
    lats = [s["latitude"] for s in schools] or [0.0]
    lons = [s["longitude"] for s in schools] or [0.0]
    scale_x = math.cos(math.radians(sum(lats) / len(lats)))  # equirectangular around the mean latitude
    span_x = max((max(lons) - min(lons)) * scale_x, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    factor = min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN) / span_y)
    west, south = min(lons), min(lats)  # once, not per school (issue 20)

    def project(lat: float, lon: float) -> tuple[float, float]:
        return MARGIN + (lon - west) * scale_x * factor, HEIGHT - MARGIN - (lat - south) * factor

    return project


def render_svg(data: dict[str, Any], title: str) -> str:
    """The map as a standalone SVG document (also inlined in the region page)."""
    project = _projection(data["schools"])
    style = {n["slug"]: n for n in data["networks"]}
    marks = []
    for school in data["schools"]:
        x, y = project(school["latitude"], school["longitude"])
        label = f"{school['name']} ({school['school']}) – {school['network_name'] or UNASSIGNED}"
        network = style.get(school["network"] or "")
        if network:
            shape = _mark(network["shape"], x, y, network["colour"])
        else:
            shape = (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="white" stroke="black" stroke-width="1.5"/>'
                     f'<text x="{x:.1f}" y="{y + 3.5:.1f}" font-size="9" text-anchor="middle">?</text>')
        marks.append(f'<g class="school" data-school="{escape(school["school"])}" '
                     f'data-network="{escape(school["network"] or "")}"><title>{escape(label)}</title>{shape}</g>')
    legend = []
    for index, network in enumerate(data["networks"]):
        y = 40 + index * 22
        legend.append(f'<g class="legend">{_mark(network["shape"], WIDTH + 20, y, network["colour"])}'
                      f'<text x="{WIDTH + 34}" y="{y + 4}" font-size="12">{network["number"]}. '
                      f'{escape(network["name"])} ({network["schools"]})</text></g>')
    y = 40 + len(data["networks"]) * 22
    legend.append(f'<g class="legend"><circle cx="{WIDTH + 20}" cy="{y}" r="6" fill="white" stroke="black"/>'
                  f'<text x="{WIDTH + 20}" y="{y + 3.5}" font-size="9" text-anchor="middle">?</text>'
                  f'<text x="{WIDTH + 34}" y="{y + 4}" font-size="12">{UNASSIGNED} ({data["unassigned"]})</text></g>')
    drawn = count(len(data["schools"]), "öffentliche Schule", "öffentliche Schulen")
    desc = (f"{drawn} mit Koordinaten, {data['unassigned']} davon nicht "
            f"zugeordnet, {data['without_coordinates']} ohne Koordinaten (nicht eingezeichnet). Jeder Verbund hat "
            "eine eigene Form und Nummer; die Tabelle darunter enthält dieselben Schulen.")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="map-title map-desc" '
            f'viewBox="0 0 {WIDTH + LEGEND + 20} {HEIGHT}" width="{WIDTH + LEGEND + 20}" height="{HEIGHT}">'
            f'<title id="map-title">{escape(title)}</title><desc id="map-desc">{escape(desc)}</desc>'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f7f7f2" stroke="#999"/>'
            f'<text x="{WIDTH + 20}" y="20" font-size="13" font-weight="bold">Legende</text>'
            + "".join(marks) + "".join(legend) + "</svg>\n")
