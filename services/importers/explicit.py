"""An explicit mapping file: one line per school, ``school`` (source id, or ``SOURCE:ID``) → ``network``
(slug). The third kind of assignment rule next to Kreis and municipality lists.

The whole file is one transaction: every bad line is named (line, field, reason) and, if there is
any, nothing is assigned. Like the rules, the file only assigns schools that have no network yet,
so manual overrides survive; a school already in another network is reported as ``kept``. A school
that is closed by now is skipped with a note (old mapping files stay usable after re-imports).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from verbund.domain.errors import InvalidInput
from verbund.domain.models import Network, Organisation, OrganisationKind
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import current_stage
from verbund.services.app.usecase import change
from verbund.services.directory.setup import ensure_open
from verbund.services.importers.assignment import _assign, _current_networks
from verbund.services.importers.base import ImportFileError, Problem, read_text
from verbund.services.importers.tabular import read_table

SCHOOL_COLUMNS = ("school", "schule")
NETWORK_COLUMNS = ("network", "verbund")
CHUNK = 500


@dataclass
class MappingReport:
    """What a mapping file did (or, with rejected lines or a dry run, would have done)."""

    dry_run: bool = False
    assigned: int = 0
    unchanged: int = 0
    kept: int = 0
    skipped: int = 0
    rejected: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return not self.dry_run and not self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {"assigned": self.assigned, "unchanged": self.unchanged, "kept": self.kept, "skipped": self.skipped,
                "rejected": [p.to_dict() for p in self.rejected], "notes": [p.to_dict() for p in self.notes],
                "stored": self.stored, "dry_run": self.dry_run}


@dataclass(frozen=True)
class Line:
    where: str
    school: str
    network: str


def read_mapping(path: Path, report: MappingReport) -> list[Line]:
    """The file's lines; empty cells are rejected here, a broken file is an ``ImportFileError``."""
    table = read_table(path, _delimiter(read_text(path)))
    school_column = next((c for c in table.header if c.lower() in SCHOOL_COLUMNS), None)
    network_column = next((c for c in table.header if c.lower() in NETWORK_COLUMNS), None)
    if school_column is None or network_column is None:
        raise ImportFileError(path, "Kopfzeile", "Spalten 'school' und 'network' (oder 'schule' und 'verbund') "
                                                 f"erwartet, gefunden: {', '.join(table.header) or 'keine'}")
    lines = []
    for number, values in table.rows:
        where = f"Zeile {number}"
        school, network = values.get(school_column, ""), values.get(network_column, "")
        if not school:
            report.rejected.append(Problem(where, school_column, "keine Schule angegeben"))
        elif not network:
            report.rejected.append(Problem(where, network_column, "kein Verbund angegeben"))
        else:
            lines.append(Line(where, school, network))
    return lines


def apply_mapping(app: App, path: Path, *, dry_run: bool = False, by: str = "system",
                  at: dt.datetime | None = None) -> MappingReport:
    """Check every line, then assign in one transaction; with any rejected line nothing is stored."""
    at = at or app.now()
    report = MappingReport(dry_run=dry_run)
    lines = read_mapping(path, report)
    with change(app, at) as work:
        session = work.session
        planned = _check(session, lines, at, report)
        current = _current_networks(session, at)
        touched: dict[str, Network] = {}
        for line, school, network in planned:
            networks = current.get(school.id, set())
            if network.id in networks:
                report.unchanged += 1
            elif networks:
                report.kept += 1
                report.notes.append(Problem(line.where, "school", f"{school.name} ist bereits einem anderen Verbund "
                                            "zugeordnet und bleibt dort (ändern: verbund assign school)"))
            else:
                _assign(session, school, network, f"Zuordnungsdatei {path.name}, {line.where}", by, at)
                current[school.id] = {network.id}
                touched[network.slug] = network
                report.assigned += 1
        for slug, network in sorted(touched.items()):
            work.touch(slug, current_stage(session, network))
        for problems in (report.rejected, report.notes):
            problems.sort(key=lambda problem: int(problem.where.removeprefix("Zeile ")))
        if not report.stored:
            work.discard()
    return report


def _check(session: Session, lines: list[Line], at: dt.datetime,
           report: MappingReport) -> list[tuple[Line, Organisation, Network]]:
    networks = {n.slug: n for n in session.exec(select(Network)).all()}
    schools = _schools(session, {line.school.rpartition(":")[2] for line in lines})
    planned: list[tuple[Line, Organisation, Network]] = []
    first: dict[uuid.UUID, tuple[Line, Network]] = {}
    for line in lines:
        try:
            school, network = _resolve(line, schools, networks, at)
        except _Skip as skip:
            report.skipped += 1
            report.notes.append(Problem(line.where, "school", str(skip)))
            continue
        except _Bad as bad:
            report.rejected.append(Problem(line.where, bad.field_name, str(bad)))
            continue
        earlier = first.setdefault(school.id, (line, network))
        if earlier[0] is line:
            planned.append((line, school, network))
        elif earlier[1].id == network.id:
            report.notes.append(Problem(line.where, "school", f"wiederholt {earlier[0].where}"))
        else:
            report.rejected.append(Problem(line.where, "network", f"{school.name} steht in {earlier[0].where} "
                                           f"schon bei '{earlier[1].slug}'"))
    return planned


class _Bad(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        self.field_name = field_name
        super().__init__(reason)


class _Skip(Exception):
    pass


def _resolve(line: Line, schools: dict[str, list[Organisation]], networks: dict[str, Network],
             at: dt.datetime) -> tuple[Organisation, Network]:
    network = networks.get(line.network)
    if network is None:
        raise _Bad("network", f"Verbund '{line.network}' gibt es nicht (anlegen: verbund assign rules)")
    if network.closed_at is not None:
        try:
            ensure_open(network)
        except InvalidInput as closed:
            raise _Bad("network", str(closed)) from closed
    source, _, source_id = line.school.rpartition(":")
    found = [s for s in schools.get(source_id, []) if not source or s.source == source]
    if not found:
        raise _Bad("school", f"Schule '{line.school}' nicht gefunden (erst importieren)")
    if len(found) > 1:
        raise _Bad("school", f"Kennung '{source_id}' ist mehrdeutig ("
                   + ", ".join(sorted(f"{s.source}:{s.source_id}" for s in found)) + "); QUELLE:KENNUNG angeben")
    school = found[0]
    if school.closed_at is not None and school.closed_at <= at:
        raise _Skip(f"{school.name} ist geschlossen; übersprungen")
    if school.kind != OrganisationKind.public_school or not school.in_scope:
        raise _Bad("school", f"{school.name} ist keine zuzuordnende öffentliche Schule: "
                   f"{school.out_of_scope_reason or school.kind}")
    if school.region_id != network.region_id:
        raise _Bad("network", f"{school.name} liegt nicht in der Region des Verbunds '{network.slug}'")
    return school, network


def _schools(session: Session, source_ids: set[str]) -> dict[str, list[Organisation]]:
    found: dict[str, list[Organisation]] = {}
    ordered = sorted(source_ids)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start:start + CHUNK]
        for school in session.exec(select(Organisation).where(col(Organisation.source_id).in_(chunk))).all():
            found.setdefault(school.source_id or "", []).append(school)
    return found


def _delimiter(text: str) -> str:
    """``;`` unless the header line has none and a ``,`` or tab instead (a ``sep=`` line wins anyway)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    for candidate in (";", ",", "\t"):
        if candidate in header:
            return candidate
    return ";"
