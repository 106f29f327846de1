"""Adapter for any CSV whose columns a TOML mapping declares (format: docs/import.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from verbund.domain.dates import DateInputError, parse_day
from verbund.domain.models import OrganisationKind
from verbund.domain.schools import RegionRef, focus_name
from verbund.domain.slugs import is_slug
from verbund.services.importers.base import (
    ImportFileError,
    Parsed,
    Problem,
    RowError,
    SchoolRecord,
    checked_delimiter,
    is_digits,
    load_toml,
)
from verbund.services.importers.encoding import ENCODINGS, read_text_detected
from verbund.services.importers.tabular import read_table

FIELDS = ("id", "name", "region", "kind", "community", "community_key", "school_types", "special_needs",
          "latitude", "longitude", "closed", "out_of_scope")
REQUIRED_FIELDS = ("id", "name", "region")


@dataclass
class Mapping:
    source: str
    state: str
    delimiter: str
    columns: dict[str, str]
    default_kind: str
    kinds: dict[str, str] = field(default_factory=dict)
    encoding: str = "auto"  # "auto" (UTF-8 or cp1252, detected), "utf-8" or "cp1252"
    regions: dict[str, RegionRef] = field(default_factory=dict)


def load_mapping(path: Path) -> Mapping:
    """Read and check the TOML mapping; every mistake names the key."""
    data = load_toml(path, read_text_detected(path))
    source, state = _text(path, data, "source"), _text(path, data, "state").upper()
    if not is_slug(source):
        raise ImportFileError(path, "Schlüssel source", f"'{source}' muss [a-z0-9-]+ sein")
    if len(state) != 2:
        raise ImportFileError(path, "Schlüssel state", f"'{state}' ist kein Länderkürzel (z. B. HE)")
    columns = _table(path, data, "columns")
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise ImportFileError(path, "Tabelle [columns]", f"unbekannte Felder {', '.join(unknown)} "
                                                         f"(erlaubt: {', '.join(FIELDS)})")
    for name in REQUIRED_FIELDS:
        if not isinstance(columns.get(name), str) or not columns[name]:
            raise ImportFileError(path, f"Schlüssel columns.{name}", "fehlt (Spaltenname der Datei)")
    delimiter = checked_delimiter(path, data.get("delimiter", ";"))
    mapping = Mapping(source, state, delimiter, {k: str(v) for k, v in columns.items()},
                      str(data.get("default_kind", "public_school")))
    mapping.encoding = str(data.get("encoding", "auto")).lower().replace("windows-1252", "cp1252")
    if mapping.encoding not in ENCODINGS:
        raise ImportFileError(path, "Schlüssel encoding", f"'{data.get('encoding')}' unbekannt (erlaubt: "
                                                          f"{', '.join(ENCODINGS)})")
    for value, kind in [("default_kind", mapping.default_kind), *_table(path, data, "kinds", {}).items()]:
        if kind not in OrganisationKind.__members__:
            raise ImportFileError(path, f"kinds.{value}", f"unbekannte Art '{kind}'")
    mapping.kinds = {str(k): str(v) for k, v in _table(path, data, "kinds", {}).items()}
    for value, spec in _table(path, data, "regions").items():
        mapping.regions[value] = _region(path, value, spec, state)
    return mapping


def _text(path: Path, data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ImportFileError(path, f"Schlüssel {key}", "fehlt oder ist leer")
    return value.strip()


def _table(path: Path, data: dict[str, Any], key: str, default: dict[str, Any] | None = None) -> dict[str, Any]:
    value = data.get(key, default)
    if not isinstance(value, dict):
        raise ImportFileError(path, f"Tabelle [{key}]", "fehlt")
    return value


def _region(path: Path, value: str, spec: Any, state: str) -> RegionRef:
    if not isinstance(spec, dict) or not isinstance(spec.get("slug"), str) or not isinstance(spec.get("name"), str):
        raise ImportFileError(path, f"regions.\"{value}\"", "braucht slug und name")
    slug = spec["slug"]
    if not is_slug(slug) or not slug.startswith(state.lower() + "-"):
        raise ImportFileError(path, f"regions.\"{value}\".slug", f"'{slug}' muss mit '{state.lower()}-' beginnen "
                                                                 "und [a-z0-9-]+ sein")
    parent = spec.get("parent")
    return RegionRef(slug, spec["name"], state, str(parent) if parent else None)


class MappedCsvAdapter:
    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.source = mapping.source

    def parse(self, path: Path, today: dt.date) -> Parsed:
        columns = self.mapping.columns
        table = read_table(path, self.mapping.delimiter, tuple(columns.values()), self.mapping.encoding)
        parsed = Parsed(self.source)
        for line, row in table.rows:
            where = f"Zeile {line}"
            try:
                record = self._record(where, row)
            except RowError as error:
                parsed.reject(where, error.field_name, error.reason, row[columns["id"]] or None,
                              self._candidate(row))
                continue
            parsed.add(record)
        return parsed

    def _value(self, row: dict[str, str], name: str) -> str:
        column = self.mapping.columns.get(name)
        return row.get(column, "") if column else ""

    def _candidate(self, row: dict[str, str]) -> tuple[RegionRef, str | None] | None:
        """(region, name) of a rejected row that looks like a public school in scope, else None."""
        region = self.mapping.regions.get(self._value(row, "region"))
        try:
            kind = self._kind(row)
        except RowError:
            return None
        if region is None or kind != "public_school" or self._value(row, "out_of_scope"):
            return None
        return region, self._value(row, "name") or None

    def _record(self, where: str, row: dict[str, str]) -> SchoolRecord:
        """Essential: id, name, region, kind, out_of_scope and closed; the rest is dropped with a note."""
        columns = self.mapping.columns
        notes: list[Problem] = []
        source_id, name = self._value(row, "id"), self._value(row, "name")
        if not source_id:
            raise RowError(columns["id"], "Kennung fehlt")
        if not name:
            raise RowError(columns["name"], "Name fehlt")
        region = self.mapping.regions.get(self._value(row, "region"))
        if region is None:
            raise RowError(columns["region"], f"'{self._value(row, 'region')}' steht nicht in [regions] der Zuordnung")
        kind = self._kind(row)
        reason = self._value(row, "out_of_scope") or None
        closed_on = self._closed(row)
        latitude, longitude = self._point(where, row, notes)
        return SchoolRecord(
            where=where, source_id=source_id, name=name, kind=kind, region=region,
            community=self._value(row, "community") or None, community_key=self._community_key(where, row, notes),
            school_types=_split(self._value(row, "school_types")), special_needs=self._foci(where, row, notes),
            latitude=latitude, longitude=longitude, in_scope=kind == "public_school" and reason is None,
            out_of_scope_reason=reason if kind == "public_school" else None, closed_on=closed_on, notes=notes,
        )

    def _kind(self, row: dict[str, str]) -> str:
        if "kind" not in self.mapping.columns:
            return self.mapping.default_kind
        value = self._value(row, "kind")
        if value in self.mapping.kinds:
            return self.mapping.kinds[value]
        if value in OrganisationKind.__members__:
            return value
        raise RowError(self.mapping.columns["kind"], f"'{value}' steht nicht in [kinds] der Zuordnung")

    def _foci(self, where: str, row: dict[str, str], notes: list[Problem]) -> list[str]:
        foci = []
        for value in _split(self._value(row, "special_needs")):
            focus = focus_name(value)
            if focus is None:
                notes.append(Problem(where, self.mapping.columns["special_needs"],
                                     f"'{value}' ist kein Förderschwerpunkt; verworfen"))
            elif focus not in foci:
                foci.append(focus)
        return foci

    def _community_key(self, where: str, row: dict[str, str], notes: list[Problem]) -> str | None:
        value = self._value(row, "community_key")
        if value and not (is_digits(value) and len(value) == 8):
            notes.append(Problem(where, self.mapping.columns["community_key"],
                                 f"'{value}' ist kein 8-stelliger Gemeindeschlüssel; verworfen"))
            return None
        return value or None

    def _point(self, where: str, row: dict[str, str], notes: list[Problem]) -> tuple[float | None, float | None]:
        """Both coordinates or neither: an unusable one drops the point with a note."""
        try:
            latitude, longitude = self._coordinate(row, "latitude", 90), self._coordinate(row, "longitude", 180)
        except RowError as error:
            notes.append(Problem(where, error.field_name, f"{error.reason}; Koordinaten verworfen"))
            return None, None
        if (latitude is None) != (longitude is None):
            notes.append(Problem(where, self.mapping.columns["latitude" if latitude is None else "longitude"],
                                 "fehlt; Koordinaten verworfen"))
            return None, None
        return latitude, longitude

    def _coordinate(self, row: dict[str, str], name: str, limit: float) -> float | None:
        value = self._value(row, name)
        if not value:
            return None
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            raise RowError(self.mapping.columns[name], f"'{value}' ist keine Zahl") from None
        if not -limit <= number <= limit:  # also refuses nan
            raise RowError(self.mapping.columns[name], f"{value} liegt außerhalb von ±{limit} Grad")
        return number

    def _closed(self, row: dict[str, str]) -> dt.date | None:
        value = self._value(row, "closed")
        if not value:
            return None
        try:
            return parse_day(value, self.mapping.columns["closed"])
        except DateInputError as error:
            raise RowError(self.mapping.columns["closed"], str(error)) from None


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
