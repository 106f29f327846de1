"""The one interface every school-data adapter implements, and the values it produces.

An adapter reads a file and returns ``Parsed``: school records ready to upsert, the rows it rejected
(each with where, field and reason) and notes on real-data quirks it handled. A file it cannot read
at all raises ``ImportFileError``; then nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from verbund.domain.errors import InvalidInput
from verbund.domain.schools import RegionRef


class ImportFileError(InvalidInput):
    """The file as a whole is unreadable (encoding, syntax, shape, missing columns); nothing is stored."""

    def __init__(self, path: Path | str, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"Datei {Path(path).name}, {where}: {reason}. Nichts wurde gespeichert.")


class RowError(Exception):
    """One row is unusable: it is rejected with the field and the reason; the others go on."""

    def __init__(self, field_name: str, reason: str) -> None:
        self.field_name = field_name
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Problem:
    """A rejected row or a handled quirk: ``where`` (line or JSON index), ``field`` and ``reason``."""

    where: str
    field: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "field": self.field, "reason": self.reason}


@dataclass
class SchoolRecord:
    """One institution as the source describes it, already decided (kind, region, scope)."""

    where: str
    source_id: str
    name: str
    kind: str
    region: RegionRef | None
    community: str | None = None
    community_key: str | None = None
    school_types: list[str] = field(default_factory=list)
    special_needs: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    service_key: str | None = None  # Dienststellenschlüssel (issue 13): joins coordinates, not unique
    in_scope: bool = True
    out_of_scope_reason: str | None = None
    closed_on: dt.date | None = None
    notes: list[Problem] = field(default_factory=list)  # blemishes dropped from this school (kept on it)


@dataclass(frozen=True)
class NotImported:
    """A rejected row that looks like a public school in scope: stored as "nicht importiert" so coverage
    never reads as complete while it is missing (``where``/``field``/``reason`` as in ``Problem``)."""

    where: str
    field: str
    reason: str
    region: RegionRef
    source_id: str | None = None
    name: str | None = None


@dataclass
class Parsed:
    """What an adapter read: records, rejected rows, notes, and every source id it saw.

    ``seen`` holds the ids of rejected rows too (when readable), so a school whose row is broken
    this time is neither updated nor closed. ``regions`` are the areas the file covers: a school of
    this source in one of them that the file no longer lists is closed.
    """

    source: str
    records: list[SchoolRecord] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    regions: dict[str, RegionRef] = field(default_factory=dict)
    not_imported: list[NotImported] = field(default_factory=list)

    def reject(self, where: str, field_name: str, reason: str, source_id: str | None = None,
               candidate: tuple[RegionRef, str | None] | None = None) -> None:
        """Reject a row; ``candidate`` (region, name) when it looks like a public school in scope."""
        self.rejected.append(Problem(where, field_name, reason))
        if source_id:
            self.seen.add(source_id)
        if candidate is not None:
            region, name = candidate
            self.not_imported.append(NotImported(where, field_name, reason, region, source_id, name))
            self.regions.setdefault(region.slug, region)

    def note(self, where: str, field_name: str, reason: str) -> None:
        self.notes.append(Problem(where, field_name, reason))

    def add(self, record: SchoolRecord) -> None:
        if record.source_id in self.seen:
            self.reject(record.where, "id", f"Kennung '{record.source_id}' kommt mehrfach vor; erste Zeile gilt")
            return
        self.seen.add(record.source_id)
        self.records.append(record)
        self.notes.extend(record.notes)
        if record.region is not None:
            self.regions.setdefault(record.region.slug, record.region)


class Adapter(Protocol):
    """Reads one source's file format. ``today`` decides date-dependent rules (NRW start dates)."""

    source: str

    def parse(self, path: Path, today: dt.date) -> Parsed: ...


def read_text(path: Path) -> str:
    """The file's text (UTF-8, with or without BOM), or ``ImportFileError``."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFileError(path, "Datei", f"nicht lesbar ({error.strerror})") from error
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(path, f"Byte {error.start}", "kein gültiges UTF-8") from error


def text_value(value: object) -> str | None:
    """A stripped string, or None for null/empty."""
    if value is None:
        return None
    cleaned = str(value).strip()
    return cleaned or None


def parse_german_date(value: str | None) -> dt.date | None:
    """``01.08.2017`` (day and month may lack the leading zero) → date; None for empty."""
    if not value:
        return None
    day, month, year = value.strip().split(".")
    return dt.date(int(year), int(month), int(day))
