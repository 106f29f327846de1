"""Partner and contact files (CSV or XLSX) with a TOML column mapping: all or nothing.

Every row goes through the same checks as ``verbund partner add`` / ``verbund contact add``, in
one transaction. A bad row is named with its line, its column and the reason; if there is any,
nothing is stored. A key that is already in the directory updates that partner (networks are
joined, never left); a contact whose organisation and e-mail match an active contact updates it.
Format and sample files: docs/cli.md, docs/examples/.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from verbund.domain.directory import PARTNER_SOURCE
from verbund.domain.errors import FieldError, NotFound
from verbund.domain.models import Contact, Network, Organisation
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import current_stage
from verbund.services.app.usecase import change
from verbund.services.directory.contacts import ContactInput, create_contact, plan_contact, update_contact
from verbund.services.directory.partner_directory import PartnerInput, apply_partner, find_organisation, plan_partner
from verbund.services.importers.base import ImportFileError, Problem, checked_delimiter, load_toml, unstorable
from verbund.services.importers.encoding import read_text_detected
from verbund.services.importers.tabular import Table, read_table

PARTNER_FIELDS = ("key", "name", "kind", "region", "land", "networks", "address", "ags")
CONTACT_FIELDS = ("organisation", "name", "function", "email", "channels")
# Essential fields (who, of which kind, where): a NUL byte or lone surrogate rejects the row; in any
# other field the value is dropped with a note (issue 15, as for the school data in docs/import.md).
PARTNER_ESSENTIAL = ("key", "name", "kind", "region", "land", "networks")
CONTACT_ESSENTIAL = ("organisation", "name", "email", "channels")
ALIASES = {"network": "networks"}  # FieldError names → mapping fields


@dataclass
class DirectoryMapping:
    columns: dict[str, str]
    delimiter: str = ";"
    sheet: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)


@dataclass
class DirectoryReport:
    """What a file did (or, with rejected rows or a dry run, would have done)."""

    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # values dropped (NUL byte, lone surrogate)

    @property
    def stored(self) -> bool:
        return not self.dry_run and not self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [p.to_dict() for p in self.rejected],
                "notes": [p.to_dict() for p in self.notes], "stored": self.stored, "dry_run": self.dry_run}


def load_directory_mapping(path: Path, fields: tuple[str, ...], required: tuple[str, ...]) -> DirectoryMapping:
    data = load_toml(path, read_text_detected(path))
    columns = data.get("columns")
    if not isinstance(columns, dict):
        raise ImportFileError(path, "Tabelle [columns]", "fehlt")
    unknown = sorted(set(columns) - set(fields))
    if unknown:
        raise ImportFileError(path, "Tabelle [columns]", f"unbekannte Felder {', '.join(unknown)} "
                                                         f"(erlaubt: {', '.join(fields)})")
    for name in required:
        if not isinstance(columns.get(name), str) or not columns[name].strip():
            raise ImportFileError(path, f"Schlüssel columns.{name}", "fehlt (Spaltenname der Datei)")
    kinds = data.get("kinds", {})
    if not isinstance(kinds, dict):
        raise ImportFileError(path, "Tabelle [kinds]", "muss Wert = Art zuordnen")
    sheet = data.get("sheet")
    delimiter = checked_delimiter(path, data.get("delimiter", ";"))
    return DirectoryMapping({k: str(v) for k, v in columns.items()}, delimiter,
                            str(sheet) if sheet else None, {str(k): str(v) for k, v in kinds.items()})


def read_rows(path: Path, mapping: DirectoryMapping) -> Table:
    """The rows of a CSV file, or of an XLSX sheet (the first, or ``sheet``), by column name."""
    required = tuple(mapping.columns.values())
    if path.suffix.lower() != ".xlsx":
        return read_table(path, mapping.delimiter, required, "auto")  # UTF-8 or cp1252 (issue 16)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError(path, "Datei", f"keine lesbare XLSX-Datei ({type(error).__name__})") from error
    if mapping.sheet and mapping.sheet not in book.sheetnames:
        raise ImportFileError(path, "Blatt", f"'{mapping.sheet}' fehlt (vorhanden: {', '.join(book.sheetnames)})")
    sheet = book[mapping.sheet] if mapping.sheet else book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    book.close()
    if not rows:
        raise ImportFileError(path, "Zeile 1", "Blatt ist leer (keine Kopfzeile)")
    header = [_cell(v) for v in rows[0]]
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportFileError(path, "Zeile 1 (Kopfzeile)", "Spalten fehlen: " + ", ".join(missing))
    table = Table(header, [])
    for number, values in enumerate(rows[1:], start=2):
        cells = [_cell(v) for v in values]
        if any(cells):
            table.rows.append((number, {name: (cells[i] if i < len(cells) else "")
                                        for i, name in enumerate(header) if name}))
    return table


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


class _Rows:
    """Reads a row's fields by mapping; an empty mapped cell is ``""``, an unmapped field ``None``."""

    def __init__(self, mapping: DirectoryMapping, row: dict[str, str]) -> None:
        self.mapping, self.row = mapping, row

    def get(self, name: str) -> str | None:
        column = self.mapping.columns.get(name)
        return None if column is None else self.row.get(column, "")

    def column(self, name: str) -> str:
        name = ALIASES.get(name, name)
        return self.mapping.columns.get(name) or self.mapping.columns.get("name", name)


def _drop_unstorable(mapping: DirectoryMapping, values: dict[str, str], where: str, essential: tuple[str, ...],
                     report: DirectoryReport) -> None:
    """A NUL byte or lone surrogate: ``FieldError`` in an essential field, else dropped with a note."""
    for name, column in mapping.columns.items():
        why = unstorable(values.get(column, ""))
        if why is None:
            continue
        if name in essential:
            raise FieldError(name, why)
        values[column] = ""
        report.notes.append(Problem(where, column, f"{why}; verworfen"))


def _run(app: App, path: Path, mapping: DirectoryMapping, dry_run: bool, essential: tuple[str, ...],
         each: Callable[[Session, _Rows, str, DirectoryReport], list[Network]]) -> DirectoryReport:
    report = DirectoryReport(dry_run=dry_run)
    table = read_rows(path, mapping)
    with change(app) as work:
        touched: dict[str, Network] = {}
        for line, values in table.rows:
            rows = _Rows(mapping, values)
            where = f"Zeile {line}"
            try:
                _drop_unstorable(mapping, values, where, essential, report)
                for network in each(work.session, rows, where, report):
                    touched[network.slug] = network
            except FieldError as error:
                report.rejected.append(Problem(where, rows.column(error.field), error.reason))
            except NotFound as error:
                report.rejected.append(Problem(where, rows.column("key"), str(error)))
        for slug, network in touched.items():
            work.touch(slug, current_stage(work.session, network))
        if not report.stored:
            work.discard()
    return report


def import_partners(app: App, path: Path, mapping_path: Path, *, dry_run: bool = False,
                    by: str = "system") -> DirectoryReport:
    mapping = load_directory_mapping(mapping_path, PARTNER_FIELDS, ("name", "kind"))
    at, seen = app.now(), dict[str, str]()

    def each(session: Session, rows: _Rows, where: str, report: DirectoryReport) -> list[Network]:
        from verbund.domain.slugs import slugify

        key = (rows.get("key") or "").strip() or slugify(rows.get("name") or "")[:60].strip("-")
        if key in seen:
            raise FieldError("key", f"Partner '{key}' steht schon in {seen[key]}")
        seen[key] = where
        kind = (rows.get("kind") or "").strip()
        networks = rows.get("networks")
        spec = PartnerInput(name=rows.get("name"), kind=mapping.kinds.get(kind, kind), key=key,
                            region=rows.get("region"), land=rows.get("land"), address=rows.get("address"),
                            ags=rows.get("ags"),
                            networks=None if networks is None else [n for n in networks.split(",") if n.strip()])
        exists = session.exec(select(Organisation.id).where(Organisation.source == PARTNER_SOURCE,
                                                            Organisation.source_id == key)).first()
        if exists is not None and not (spec.region or "").strip() and not (spec.land or "").strip():
            spec.region = spec.land = None  # keep the stored region
        plan = plan_partner(session, spec, create=exists is None)
        _organisation, changed = apply_partner(session, plan, at, by)
        _count(report, exists is None, changed)
        return plan.networks

    return _run(app, path, mapping, dry_run, PARTNER_ESSENTIAL, each)


def import_contacts(app: App, path: Path, mapping_path: Path, *, dry_run: bool = False,
                    by: str = "system") -> DirectoryReport:
    mapping = load_directory_mapping(mapping_path, CONTACT_FIELDS, ("organisation", "name"))
    at, seen = app.now(), dict[tuple[str, str], str]()

    def each(session: Session, rows: _Rows, where: str, report: DirectoryReport) -> list[Network]:
        channels = rows.get("channels")
        spec = ContactInput(organisation=rows.get("organisation") or "", name=rows.get("name"),
                            email=rows.get("email"), function=rows.get("function"),
                            channels=None if channels is None else channels.split())
        person = ((spec.organisation or "").strip(), (spec.email or spec.name or "").strip().lower())
        if person in seen:
            raise FieldError("email" if spec.email else "name", f"dieselbe Person steht schon in {seen[person]}")
        seen[person] = where
        existing = _existing(session, spec)
        values, _organisation = plan_contact(session, spec, existing)
        if existing is None:
            create_contact(session, values, at, app.wall_time(), by)
        else:
            changed = update_contact(session, existing, values, at, app.wall_time(), by)
            _count(report, False, bool(changed))
            return []
        _count(report, True, True)
        return []

    return _run(app, path, mapping, dry_run, CONTACT_ESSENTIAL, each)


def _existing(session: Session, spec: ContactInput) -> Contact | None:
    """The active contact of the row's organisation with the row's e-mail address, if any."""
    email = (spec.email or "").strip()
    if not email:
        return None
    try:
        organisation = find_organisation(session, spec.organisation or "")
    except NotFound:
        return None  # plan_contact names the organisation
    return session.exec(select(Contact).where(Contact.organisation_id == organisation.id,
                                              col(Contact.active).is_(True), col(Contact.email) == email)).first()


def _count(report: DirectoryReport, created: bool, changed: bool) -> None:
    if created:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1


__all__ = ["DirectoryReport", "import_contacts", "import_partners"]
