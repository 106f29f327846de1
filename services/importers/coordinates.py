"""``verbund import coordinates FILE --mapping M.toml``: join coordinates to imported schools by the
Dienststellenschlüssel (issue 13). The Saxon API has no coordinates; a file such as Datenschule's
``schulen_2017_datenschule.csv`` has them per ``official_id``.

The key is stored on the school (``Organisation.service_key``) and is not unique: every school
that shares a key gets the same coordinates. The mapping (TOML) names the file's columns::

    delimiter = ","            # default ","
    [columns]
    key = "official_id"        # the Dienststellenschlüssel
    latitude = "lat"
    longitude = "lon"
    name = "name"              # optional: named in the report of rows that matched no school

The report counts rows, matched keys, schools updated / unchanged, lists the file's rows that
matched no school and the schools in scope that still have no coordinates. A malformed mapping or
file stores nothing; a row with an unusable coordinate is rejected with its line and field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from verbund.domain.models import Organisation, OrganisationKind
from verbund.services.app.bootstrap import App
from verbund.services.importers.base import ImportFileError, Problem, checked_delimiter, load_toml, read_text
from verbund.services.importers.tabular import read_table

LISTED = 50  # rows / schools listed by name in the report (the counts are complete)


@dataclass
class CoordinateMapping:
    delimiter: str
    key: str
    latitude: str
    longitude: str
    name: str | None


@dataclass
class CoordinateReport:
    dry_run: bool = False
    rows: int = 0
    matched_keys: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: int = 0
    unmatched_rows: list[dict[str, str]] = field(default_factory=list)
    without_coordinates: int = 0
    schools_without_coordinates: list[dict[str, str]] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected"] = [{"where": p.where, "field": p.field, "reason": p.reason} for p in self.rejected]
        return data


def load_coordinate_mapping(path: Path) -> CoordinateMapping:
    data = load_toml(path, read_text(path))
    columns = data.get("columns")
    if not isinstance(columns, dict):
        raise ImportFileError(path, "Tabelle [columns]", "fehlt (key, latitude, longitude)")
    for name in ("key", "latitude", "longitude"):
        if not isinstance(columns.get(name), str) or not columns[name]:
            raise ImportFileError(path, f"Schlüssel columns.{name}", "fehlt (Spaltenname der Datei)")
    label = columns.get("name")
    return CoordinateMapping(checked_delimiter(path, data.get("delimiter", ",")), columns["key"], columns["latitude"],
                             columns["longitude"], label if isinstance(label, str) and label else None)


def _number(value: str, low: float, high: float) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if low <= number <= high else None


def read_coordinates(path: Path, mapping: CoordinateMapping, report: CoordinateReport
                     ) -> dict[str, tuple[float, float, str, str]]:
    """Key → (latitude, longitude, where, name) of the file's usable rows (the first row of a key wins)."""
    required = tuple(c for c in (mapping.key, mapping.latitude, mapping.longitude, mapping.name) if c)
    table = read_table(path, mapping.delimiter, required)
    found: dict[str, tuple[float, float, str, str]] = {}
    for line, values in table.rows:
        report.rows += 1
        where = f"Zeile {line}"
        key = values.get(mapping.key, "").strip()
        if not key:
            report.rejected.append(Problem(where, mapping.key, "Dienststellenschlüssel fehlt"))
            continue
        lat = _number(values.get(mapping.latitude, ""), -90, 90)
        lon = _number(values.get(mapping.longitude, ""), -180, 180)
        if lat is None or lon is None:
            bad = mapping.latitude if lat is None else mapping.longitude
            report.rejected.append(Problem(where, bad, f"'{values.get(bad, '')}' ist keine gültige Koordinate"))
            continue
        found.setdefault(key, (lat, lon, where, values.get(mapping.name, "") if mapping.name else ""))
    return found


def import_coordinates(app: App, path: Path, mapping_path: Path, *, dry_run: bool = False,
                       at: dt.datetime | None = None) -> CoordinateReport:
    report = CoordinateReport(dry_run=dry_run)
    points = read_coordinates(path, load_coordinate_mapping(mapping_path), report)
    with app.uow(write=True) as uow:
        session = uow.session
        schools = session.exec(select(Organisation).where(col(Organisation.service_key).is_not(None))).all()
        by_key: dict[str, list[Organisation]] = {}
        for school in schools:
            by_key.setdefault(str(school.service_key), []).append(school)
        for key, (lat, lon, where, name) in points.items():
            matched = by_key.get(key, [])
            if not matched:
                report.unmatched += 1
                if len(report.unmatched_rows) < LISTED:
                    report.unmatched_rows.append({"where": where, "key": key, "name": name})
                continue
            report.matched_keys += 1
            for school in matched:
                if (school.latitude, school.longitude) == (lat, lon):
                    report.unchanged += 1
                    continue
                school.latitude, school.longitude = lat, lon
                session.add(school)
                report.updated += 1
        session.flush()
        missing = session.exec(select(Organisation).where(
            Organisation.kind == OrganisationKind.public_school, col(Organisation.in_scope).is_(True),
            col(Organisation.closed_at).is_(None), col(Organisation.latitude).is_(None))
            .order_by(col(Organisation.name))).all()
        report.without_coordinates = len(missing)
        report.schools_without_coordinates = [
            {"school": f"{o.source}:{o.source_id}", "name": o.name, "service_key": o.service_key or ""}
            for o in missing[:LISTED]]
        if not dry_run:
            uow.commit()
    return report
