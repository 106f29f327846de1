"""Adapter for the Sächsische Schuldatenbank API (``/api/v1/schools``: a JSON list of institutions).

The API's ``id`` is the stable source id (the 7-digit ``institution_key`` is not unique: an evening
school shares its host school's key). ``headmaster_*`` fields are never read (personal data).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from verbund.domain.schools import saxon_foci, saxon_region, saxon_scope
from verbund.services.importers.base import ImportFileError, Parsed, RowError, SchoolRecord, read_text, text_value

SOURCE = "sachsen"
MAIN_BUILDING = "01"


class SachsenAdapter:
    source = SOURCE

    def parse(self, path: Path, today: dt.date) -> Parsed:
        try:
            data = json.loads(read_text(path))
        except json.JSONDecodeError as error:
            raise ImportFileError(path, f"Zeile {error.lineno}, Spalte {error.colno}",
                                  f"kein gültiges JSON ({error.msg})") from error
        if not isinstance(data, list):
            raise ImportFileError(path, "oberste Ebene", "erwartet eine JSON-Liste von Schulen (/api/v1/schools)")
        parsed = Parsed(SOURCE)
        institution_keys: dict[str, str] = {}
        for index, item in enumerate(data):
            where = f"JSON-Index {index}"
            source_id = _source_id(item)
            try:
                record = _record(where, item, parsed)
            except RowError as error:
                parsed.reject(where, error.field_name, error.reason, source_id)
                continue
            _note_shared_key(parsed, where, item, record.source_id, institution_keys)
            parsed.add(record)
        return parsed


def _source_id(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("id"), int | str) and not isinstance(item.get("id"), bool):
        return text_value(item["id"])
    return None


def _code(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RowError(key, "fehlt oder ist kein Schlüssel (Text)")
    return value.strip()


def _main_building(where: str, item: dict[str, Any], parsed: Parsed) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    buildings = item.get("buildings")
    if not isinstance(buildings, list) or not buildings:
        raise RowError("buildings", "keine Gebäude angegeben")
    if not all(isinstance(b, dict) for b in buildings):
        raise RowError("buildings", "Gebäude muss ein Objekt sein")
    main = next((b for b in buildings if b.get("building_type_key") == MAIN_BUILDING), None)
    if main is None:
        parsed.note(where, "buildings", f"kein Hauptgebäude (building_type_key {MAIN_BUILDING}); erstes Gebäude "
                                        f"(Art {buildings[0].get('building_type_key')}) verwendet")
        main = buildings[0]
    return main, buildings


def _type_keys(buildings: list[dict[str, Any]]) -> list[int]:
    keys: list[int] = []
    for position, building in enumerate(buildings):
        values = building.get("school_type_keys") or []
        if not isinstance(values, list):
            raise RowError(f"buildings[{position}].school_type_keys", "muss eine Liste von Zahlen sein")
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
                raise RowError(f"buildings[{position}].school_type_keys", f"'{value}' ist kein Schulartschlüssel")
            if int(value) not in keys:
                keys.append(int(value))
    return keys


def _record(where: str, item: Any, parsed: Parsed) -> SchoolRecord:
    if not isinstance(item, dict):
        raise RowError("(Eintrag)", "muss ein JSON-Objekt sein")
    source_id = _source_id(item)
    if source_id is None:
        raise RowError("id", "fehlt oder ist keine Zahl")
    legal, category, inspectorate = (_code(item, k) for k in
                                      ("legal_status_key", "school_category_key", "inspectorate_key"))
    main, buildings = _main_building(where, item, parsed)
    name = text_value(main.get("name")) or text_value(main.get("name1"))
    if name is None:
        raise RowError("buildings.name", "Name der Schule fehlt")
    community_key = text_value(main.get("community_key"))
    if community_key is not None and not (community_key.isdigit() and len(community_key) == 8):
        raise RowError("buildings.community_key", f"'{community_key}' ist kein 8-stelliger Gemeindeschlüssel")
    keys = _type_keys(buildings)
    if not keys:
        parsed.note(where, "school_type_keys", "keine Schularten angegeben (leere Liste)")
    scope = saxon_scope(legal, category, inspectorate)
    return SchoolRecord(
        where=where, source_id=source_id, name=name, kind=scope.kind, region=saxon_region(inspectorate),
        community=text_value(main.get("community")), community_key=community_key,
        school_types=[str(key) for key in keys], special_needs=saxon_foci(keys),
        in_scope=scope.in_scope, out_of_scope_reason=scope.reason,
    )


def _note_shared_key(parsed: Parsed, where: str, item: dict[str, Any], source_id: str, seen: dict[str, str]) -> None:
    key = text_value(item.get("institution_key"))
    if key is None:
        return
    if key in seen:
        parsed.note(where, "institution_key", f"Dienststellenschlüssel {key} teilt id {source_id} mit id "
                                              f"{seen[key]} (z. B. Abendschule im Haus der Stammschule); "
                                              "Kennung ist die id")
    else:
        seen[key] = source_id
