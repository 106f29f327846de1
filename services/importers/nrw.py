"""Adapter for the MSB NRW ``schuldaten.csv`` (``sep=;`` first line; key tables in docs/import.md).

The Schulnummer is the stable source id. Which rows are schools to assign is decided in
``domain.schools`` (Rechtsform, Schulform, Schulbetriebsschlüssel); coordinates are UTM 32N
(EPSG:25832; an EPSG of ``null`` with UTM values means the same) converted to WGS84.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from verbund.domain.schools import (
    NRW_CLOSED,
    NRW_FOERDERSCHULEN,
    NRW_NOT_SCHOOLS,
    RegionRef,
    nrw_foci,
    nrw_operation,
    nrw_region,
    nrw_scope,
)
from verbund.services.importers.base import Parsed, Problem, RowError, SchoolRecord, is_digits, parse_german_date
from verbund.services.importers.geo import EASTING_RANGE, NORTHING_RANGE, UTM32, utm32_to_wgs84
from verbund.services.importers.tabular import read_table

SOURCE = "nrw"
REQUIRED = ("Schulnummer", "Schulform", "Schulbezeichnung_1", "Kurzbezeichnung", "Ort", "Rechtsform",
            "Gemeindeschluessel", "Schulbetriebsschluessel", "Schulbetriebsdatum", "EPSG",
            "UTMRechtswert", "UTMHochwert")
NO_EPSG = {"", "null", "NULL"}


class NrwAdapter:
    source = SOURCE

    def parse(self, path: Path, today: dt.date) -> Parsed:
        table = read_table(path, ";", REQUIRED)
        parsed = Parsed(SOURCE)
        pending: list[tuple[SchoolRecord, float, float]] = []
        for line, row in table.rows:
            where = f"Zeile {line}"
            number = row["Schulnummer"]
            try:
                record, utm = _record(where, row, today)
            except RowError as error:
                parsed.reject(where, error.field_name, error.reason, number if is_digits(number) else None,
                              _candidate(row))
                continue
            parsed.add(record)
            if utm is not None:
                pending.append((record, *utm))
        _convert(pending)
        return parsed


def _candidate(row: dict[str, str]) -> tuple[RegionRef, str | None] | None:
    """(region, name) of a rejected row that looks like a public school in scope: Rechtsform 1, a
    Schulform that is a school, a Kreis of NRW, not resting or dissolved."""
    key = row["Gemeindeschluessel"]
    region = nrw_region(key) if is_digits(key) and len(key) == 8 else None
    if (region is None or row["Rechtsform"] != "1" or row["Schulform"] in NRW_NOT_SCHOOLS
            or row["Schulbetriebsschluessel"] in {"4", *NRW_CLOSED}):
        return None
    return region, row["Schulbezeichnung_1"] or None


def _record(where: str, row: dict[str, str], today: dt.date) -> tuple[SchoolRecord, tuple[float, float] | None]:
    """Essential: Schulnummer, name, Schulform, Rechtsform, Gemeindeschlüssel (region) and the
    Schulbetriebsschlüssel (with its date where it decides: 3, 5, 9). Coordinates are a note."""
    notes: list[Problem] = []
    number = row["Schulnummer"]
    if not (is_digits(number) and len(number) == 6):
        raise RowError("Schulnummer", f"'{number}' ist keine 6-stellige Schulnummer")
    name = " ".join(part for part in (row["Schulbezeichnung_1"], row.get("Schulbezeichnung_2", ""),
                                      row.get("Schulbezeichnung_3", "")) if part)
    if not name:
        raise RowError("Schulbezeichnung_1", "Name der Schule fehlt")
    form = row["Schulform"]
    if not form:
        raise RowError("Schulform", "fehlt")
    try:
        scope = nrw_scope(row["Rechtsform"], form)
    except ValueError as error:
        raise RowError("Rechtsform", str(error)) from error
    since = _since(where, row, notes)
    try:
        operation = nrw_operation(row["Schulbetriebsschluessel"], since, today)
    except ValueError as error:
        raise RowError("Schulbetriebsschluessel", str(error)) from error
    key = row["Gemeindeschluessel"]
    region = nrw_region(key) if is_digits(key) and len(key) == 8 else None
    if region is None:
        raise RowError("Gemeindeschluessel", f"'{key}' ist kein Gemeindeschlüssel eines Kreises in NRW")
    foci = nrw_foci(row["Kurzbezeichnung"]) if form in NRW_FOERDERSCHULEN else []
    if form in NRW_FOERDERSCHULEN and not foci and form != "83":
        notes.append(Problem(where, "Kurzbezeichnung", f"Förderschule ohne erkennbaren Förderschwerpunkt "
                                                       f"('{row['Kurzbezeichnung']}')"))
    in_scope = scope.in_scope and operation.in_scope
    reason = scope.reason
    if scope.kind == "public_school" and not operation.in_scope:
        reason = operation.reason if operation.closed_on is None else None
    record = SchoolRecord(
        where=where, source_id=number, name=name, kind=scope.kind, region=region, community=row["Ort"] or None,
        community_key=key, school_types=[f"nw:{form}"], special_needs=foci, in_scope=in_scope,
        out_of_scope_reason=reason, closed_on=operation.closed_on, notes=notes,
    )
    try:
        return record, _utm(row)
    except RowError as error:
        notes.append(Problem(where, error.field_name, f"{error.reason}; Koordinaten verworfen"))
        return record, None


def _since(where: str, row: dict[str, str], notes: list[Problem]) -> dt.date | None:
    """The Schulbetriebsdatum; unreadable, it rejects the row only where it decides scope (3, 5, 9)."""
    try:
        return parse_german_date(row["Schulbetriebsdatum"])
    except ValueError:
        reason = f"'{row['Schulbetriebsdatum']}' ist kein Datum TT.MM.JJJJ"
        if row["Schulbetriebsschluessel"] in {"3", *NRW_CLOSED}:
            raise RowError("Schulbetriebsdatum", reason) from None
        notes.append(Problem(where, "Schulbetriebsdatum", f"{reason}; verworfen"))
        return None


def _utm(row: dict[str, str]) -> tuple[float, float] | None:
    east, north, epsg = row["UTMRechtswert"], row["UTMHochwert"], row["EPSG"]
    if not east and not north:
        return None
    if epsg not in NO_EPSG and epsg != UTM32:
        raise RowError("EPSG", f"'{epsg}' wird nicht unterstützt (erwartet {UTM32})")
    try:
        values = float(east.replace(",", ".")), float(north.replace(",", "."))
    except ValueError:
        raise RowError("UTMRechtswert" if not _is_number(east) else "UTMHochwert",
                       "keine Zahl") from None
    if not EASTING_RANGE[0] <= values[0] <= EASTING_RANGE[1]:
        raise RowError("UTMRechtswert", f"{east} liegt außerhalb der UTM-Zone 32 in Deutschland")
    if not NORTHING_RANGE[0] <= values[1] <= NORTHING_RANGE[1]:
        raise RowError("UTMHochwert", f"{north} liegt außerhalb Deutschlands")
    return values


def _is_number(value: str) -> bool:
    try:
        float(value.replace(",", "."))
    except ValueError:
        return False
    return True


def _convert(pending: list[tuple[SchoolRecord, float, float]]) -> None:
    points = utm32_to_wgs84([east for _, east, _ in pending], [north for _, _, north in pending])
    for (record, _, _), (lat, lon) in zip(pending, points, strict=True):
        record.latitude, record.longitude = lat, lon
