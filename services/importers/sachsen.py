"""Adapter for the Sächsische Schuldatenbank API (``/api/v1/schools``: a JSON list of institutions).

The API's ``id`` is the stable source id (the 7-digit ``institution_key`` is not unique: an evening
school shares its host school's key). ``headmaster_*`` fields are never read (personal data).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from verbund.domain.schools import RegionRef, saxon_foci, saxon_region, saxon_scope
from verbund.services.importers.base import (
    ImportFileError,
    Parsed,
    Problem,
    RowError,
    SchoolRecord,
    is_digits,
    read_text,
    shown,
    text_value,
)

SOURCE = "sachsen"
MAIN_BUILDING = "01"


class SachsenAdapter:
    source = SOURCE

    def parse(self, path: Path, today: dt.date) -> Parsed:
        try:
            data = json.loads(read_text(path), parse_int=_number)
        except json.JSONDecodeError as error:
            raise ImportFileError(path, f"Zeile {error.lineno}, Spalte {error.colno}",
                                  f"kein gültiges JSON ({error.msg})") from error
        except RecursionError:
            raise ImportFileError(path, "Verschachtelung", "zu tief verschachtelt (kein Schulverzeichnis "
                                                           "der API)") from None
        if not isinstance(data, list):
            raise ImportFileError(path, "oberste Ebene", "erwartet eine JSON-Liste von Schulen (/api/v1/schools)")
        parsed = Parsed(SOURCE)
        institution_keys: dict[str, str] = {}
        for index, item in enumerate(data):
            where = f"JSON-Index {index}"
            source_id = _source_id(item)
            try:
                record = _record(where, item)
            except RowError as error:
                parsed.reject(where, error.field_name, error.reason, source_id, _candidate(item))
                continue
            _note_shared_key(record, item, institution_keys)
            parsed.add(record)
        return parsed


class LongNumber:
    """A JSON integer of more digits than any key has (Python refuses over 4,300): kept as its
    digits, usable as nothing, so the row it sits in is rejected or the value dropped with a note."""

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __str__(self) -> str:
        return shown(self.digits, 20)


def _number(digits: str) -> int | LongNumber:
    return int(digits) if len(digits) <= 30 else LongNumber(digits)


def _source_id(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("id"), int | str) and not isinstance(item.get("id"), bool):
        return text_value(item["id"])
    return None


def _code(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RowError(key, "fehlt oder ist kein Schlüssel (Text)")
    return value.strip()


def _candidate(item: Any) -> tuple[RegionRef, str | None] | None:
    """(region, name) of a rejected institution that looks like a public school in scope, else None."""
    if not isinstance(item, dict):
        return None
    codes = [item.get(key) for key in ("legal_status_key", "school_category_key", "inspectorate_key")]
    if not all(isinstance(code, str) for code in codes):
        return None
    legal, category, inspectorate = (str(code).strip() for code in codes)
    region = saxon_region(inspectorate)
    if region is None or not saxon_scope(legal, category, inspectorate).in_scope:
        return None
    raw = item.get("buildings")
    buildings: list[Any] = raw if isinstance(raw, list) else []
    names = [text_value(b.get("name")) or text_value(b.get("name1")) for b in buildings if isinstance(b, dict)]
    return region, next((name for name in names if name), None)


def _buildings(where: str, item: dict[str, Any], notes: list[Problem]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The main building and all usable buildings; a building that is no object is dropped with a note."""
    raw = item.get("buildings")
    if not isinstance(raw, list) or not raw:
        raise RowError("buildings", "keine Gebäude angegeben")
    buildings = [b for b in raw if isinstance(b, dict)]
    if not buildings:
        raise RowError("buildings", "Gebäude muss ein Objekt sein")
    if len(buildings) < len(raw):
        notes.append(Problem(where, "buildings", f"{len(raw) - len(buildings)} Gebäude ohne Objektform verworfen"))
    main = next((b for b in buildings if b.get("building_type_key") == MAIN_BUILDING), None)
    if main is None:
        kind = shown(buildings[0].get("building_type_key"))
        notes.append(Problem(where, "buildings", f"kein Hauptgebäude (building_type_key {MAIN_BUILDING}); erstes "
                                                 f"Gebäude (Art {kind}) verwendet"))
        main = buildings[0]
    return main, buildings


def _type_keys(where: str, buildings: list[dict[str, Any]], notes: list[Problem]) -> tuple[list[int], list[str]]:
    """The union of usable school type keys, and the unusable values (each dropped with a note)."""
    keys: list[int] = []
    unusable: list[str] = []
    for position, building in enumerate(buildings):
        values = building.get("school_type_keys") or []
        field_name = f"buildings[{position}].school_type_keys"
        if not isinstance(values, list):
            values = [values]
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | str) or not is_digits(str(value).strip()) \
                    or len(str(value).strip()) > 6:
                unusable.append(f"'{shown(value)}'")
                notes.append(Problem(where, field_name, f"'{shown(value)}' ist kein Schulartschlüssel; verworfen"))
            elif int(value) not in keys:
                keys.append(int(value))
    return keys, unusable


def _community_key(where: str, main: dict[str, Any], notes: list[Problem]) -> str | None:
    community_key = text_value(main.get("community_key"))
    if community_key is not None and not (is_digits(community_key) and len(community_key) == 8):
        notes.append(Problem(where, "buildings.community_key",
                             f"'{shown(community_key)}' ist kein 8-stelliger Gemeindeschlüssel; verworfen"))
        return None
    return community_key


def _record(where: str, item: Any) -> SchoolRecord:
    """Essential: id, the three keys (kind, scope, region), a building, the name and, for a school in
    scope, a usable school type key from at least one building. Anything else is a note."""
    if not isinstance(item, dict):
        raise RowError("(Eintrag)", "muss ein JSON-Objekt sein")
    source_id = _source_id(item)
    if source_id is None:
        raise RowError("id", "fehlt oder ist keine Zahl")
    legal, category, inspectorate = (_code(item, k) for k in
                                      ("legal_status_key", "school_category_key", "inspectorate_key"))
    notes: list[Problem] = []
    main, buildings = _buildings(where, item, notes)
    name = text_value(main.get("name")) or text_value(main.get("name1"))
    if name is None:
        raise RowError("buildings.name", "Name der Schule fehlt")
    keys, unusable = _type_keys(where, buildings, notes)
    scope = saxon_scope(legal, category, inspectorate)
    if not keys and scope.in_scope:
        raise RowError("buildings.school_type_keys", "kein verwendbarer Schulartschlüssel in einem Gebäude"
                       + (f" ({', '.join(unusable)} ist kein Schulartschlüssel)" if unusable else " (leere Liste)"))
    if not keys:
        notes.append(Problem(where, "school_type_keys", "keine Schularten angegeben (leere Liste)"))
    return SchoolRecord(
        where=where, source_id=source_id, name=name, kind=scope.kind, region=saxon_region(inspectorate),
        community=text_value(main.get("community")), community_key=_community_key(where, main, notes),
        school_types=[str(key) for key in keys], special_needs=saxon_foci(keys),
        in_scope=scope.in_scope, out_of_scope_reason=scope.reason, notes=notes,
        service_key=text_value(item.get("institution_key")),
    )


def _note_shared_key(record: SchoolRecord, item: dict[str, Any], seen: dict[str, str]) -> None:
    key = text_value(item.get("institution_key"))
    if key is None:
        return
    if key in seen:
        record.notes.append(Problem(record.where, "institution_key",
                                    f"Dienststellenschlüssel {key} teilt id {record.source_id} mit id {seen[key]} "
                                    "(z. B. Abendschule im Haus der Stammschule); Kennung ist die id"))
    else:
        seen[key] = record.source_id
