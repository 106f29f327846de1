"""The build-out reports the dashboard produces and offers for download, with their permissions.

Who may: the ministry (every region, or all at once) and process owners (the regions of their
scope, one region per report; a Land-wide process owner picks a region of the Land). Coordinators
and partners may not. Reports are files ``stand-<as_of>-<alle|region>.<format>`` in the report
folder (``VERBUND_REPORT_DIR``, else ``berichte/`` beside the SQLite file, else in the user data
directory), written by ``services.report.write_report`` (atomically). A file that does not match
that pattern (for example one written by the report flow under another name) is not listed here.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from verbund.domain.errors import DomainError, InvalidInput
from verbund.domain.models import Region
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App
from verbund.services.report import FORMATS, parse_day, write_report

EVERYTHING = "alle"
FILE_NAME = re.compile(r"^stand-(\d{4}-\d{2}-\d{2})-([a-z0-9-]+)\.(md|html|pdf|xlsx|csv)$")
FORMAT_LABELS = {"pdf": "PDF", "xlsx": "Excel (XLSX)", "html": "HTML", "md": "Markdown", "csv": "CSV"}


class ReportNotAllowed(DomainError):
    """The principal may not produce or read this report (coordinators, other regions)."""


@dataclass(frozen=True)
class ReportFile:
    name: str
    as_of: str
    scope: str  # "alle" or a region slug
    format: str
    size: int
    written_at: dt.datetime


def report_folder(app: App) -> Path:
    configured = os.environ.get("VERBUND_REPORT_DIR", "")
    if configured:
        return Path(configured).expanduser()
    url = make_url(app.settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).expanduser().parent / "berichte"
    return Path(user_data_dir("verbund", appauthor=False)) / "berichte"


def may_report(who: Principal) -> bool:
    return who.reads_all or who.role == "process_owner"


def report_regions(app: App, who: Principal) -> list[tuple[str, str]]:
    """(slug, name) of the regions the principal may report on, sorted by slug."""
    if not may_report(who):
        return []
    with app.uow() as uow:
        rows = uow.session.exec(select(Region.slug, Region.name, Region.state).order_by(col(Region.slug))).all()
    return [(slug, name) for slug, name, state in rows if who.may_read_region(slug, state)]


def _allowed_scopes(app: App, who: Principal) -> set[str]:
    scopes = {slug for slug, _name in report_regions(app, who)}
    return scopes | {EVERYTHING} if who.reads_all else scopes


def produce_report(app: App, who: Principal, as_of: str, fmt: str, scope: str) -> ReportFile:
    """Write the report for the end of ``as_of`` (``scope``: a region slug or ``alle``) and return it."""
    if not may_report(who):
        raise ReportNotAllowed("Berichte erstellen dürfen das Ministerium und Prozessverantwortliche")
    day = parse_day(as_of, "Stichtag")
    if fmt not in FORMATS:
        raise InvalidInput(f"Format '{fmt}' unbekannt (erlaubt: {', '.join(FORMATS)})")
    if scope not in _allowed_scopes(app, who):
        raise ReportNotAllowed("Für diesen Bereich dürfen Sie keinen Bericht erstellen")
    folder = report_folder(app)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"stand-{day.isoformat()}-{scope}.{fmt}"
    write_report(app, day, fmt, target, region=None if scope == EVERYTHING else scope)
    return _describe(target)


def _describe(path: Path) -> ReportFile:
    match = FILE_NAME.match(path.name)
    assert match is not None
    stat = path.stat()
    return ReportFile(path.name, match.group(1), match.group(2), match.group(3), stat.st_size,
                      dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))


def list_reports(app: App, who: Principal) -> list[ReportFile]:
    """The reports the principal may read, newest first (by date written)."""
    folder = report_folder(app)
    if not may_report(who) or not folder.is_dir():
        return []
    allowed = _allowed_scopes(app, who)
    found = []
    for path in folder.iterdir():
        match = FILE_NAME.match(path.name)
        if match is not None and match.group(2) in allowed and path.is_file():
            found.append(_describe(path))
    return sorted(found, key=lambda f: (f.written_at, f.name), reverse=True)


def report_path(app: App, who: Principal, name: str) -> Path:
    """The file of a report the principal may read (``ReportNotAllowed`` otherwise, also when absent)."""
    match = FILE_NAME.match(name)
    path = report_folder(app) / name
    if match is None or not may_report(who) or match.group(2) not in _allowed_scopes(app, who) or not path.is_file():
        raise ReportNotAllowed("Diesen Bericht gibt es nicht, oder er gehört nicht zu Ihrem Bereich")
    return path
