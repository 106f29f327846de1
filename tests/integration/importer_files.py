"""Tiny valid input files for every importer, written as bytes, and one way to run each importer on
them (for the hostile-input and fuzz tests of issue 15): Saxon JSON, NRW CSV, mapped CSV with its
TOML mapping, the coordinates join, partner and contact files, and a Land's Ferien (.ics)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from verbund.domain.tables import (
    Contact,
    ContactEvent,
    Membership,
    NotImportedSchool,
    Organisation,
    Region,
    SchoolHolidayPeriod,
)
from verbund.services.app.bootstrap import App
from verbund.services.app.ferien import import_ics
from verbund.services.directory.setup import create_network, upsert_region
from verbund.services.importers import MappedCsvAdapter, NrwAdapter, SachsenAdapter, import_file, load_mapping
from verbund.services.importers.coordinates import import_coordinates
from verbund.services.importers.directory import import_contacts, import_partners

TABLES = (Organisation, Region, Membership, NotImportedSchool, Contact, ContactEvent, SchoolHolidayPeriod)
COUNT = "SELECT " + ", ".join(f"(SELECT count(*) FROM {table.__tablename__})" for table in TABLES)


def saxon_school(**top: Any) -> dict[str, Any]:
    building = {"building_type_key": "01", "name": "Grundschule Nord", "community": "Zwickau",
                "community_key": "14524330", "school_type_keys": [11]}
    building.update(top.pop("building", {}))
    school = {"id": 1001, "institution_key": "4500001", "legal_status_key": "01", "inspectorate_key": "05",
              "school_category_key": "10", "buildings": [building]}
    school.update(top)
    return school


def saxon_json(*schools: dict[str, Any]) -> bytes:
    """JSON as the API writes it; lone surrogates are written as escapes (``\\ud800``), as JSON allows."""
    return json.dumps(list(schools) or [saxon_school()]).encode("ascii")


NRW_COLUMNS = ("Schulnummer", "Schulform", "Schulbezeichnung_1", "Kurzbezeichnung", "Ort", "Rechtsform",
               "Gemeindeschluessel", "Schulbetriebsschluessel", "Schulbetriebsdatum", "EPSG", "UTMRechtswert",
               "UTMHochwert")
NRW_ROW = ("100001", "02", "Grundschule Mitte", "Bochum, GG", "Bochum", "1", "05911000", "1", "01.08.1970",
           "EPSG:25832", "378000", "5701853")


def nrw_csv(**cells: str) -> bytes:
    row = dict(zip(NRW_COLUMNS, NRW_ROW, strict=True)) | cells
    return ("sep=;\n" + ";".join(NRW_COLUMNS) + "\n" + ";".join(row.values()) + "\n").encode("utf-8")


MAPPING = """source = "he-schulen"
state = "HE"
delimiter = ";"
[columns]
id = "Nr"
name = "Name"
region = "Amt"
community = "Ort"
community_key = "AGS"
school_types = "Arten"
closed = "Zu"
[regions."Kassel"]
slug = "he-kassel"
name = "Staatliches Schulamt Kassel"
"""
MAPPED_COLUMNS = ("Nr", "Name", "Amt", "Ort", "AGS", "Arten", "Zu")
MAPPED_ROW = ("4701", "Grundschule Kassel", "Kassel", "Kassel", "06611000", "Grundschule", "")


def mapped_csv(**cells: str) -> bytes:
    row = dict(zip(MAPPED_COLUMNS, MAPPED_ROW, strict=True)) | cells
    return (";".join(MAPPED_COLUMNS) + "\n" + ";".join(row.values()) + "\n").encode("utf-8")


COORDINATE_MAPPING = ('delimiter = ","\n[columns]\nkey = "Kennziffer"\nlatitude = "lat"\nlongitude = "lon"\n'
                      'name = "Name"\n')
COORDINATES = b"Kennziffer,lat,lon,Name\n4500001,50.72,12.49,Grundschule Nord\n"

PARTNER_MAPPING = ('delimiter = ";"\n[columns]\nkey = "Kennung"\nname = "Name"\nkind = "Art"\nregion = "Region"\n'
                   'networks = "Verbuende"\naddress = "Anschrift"\n')
PARTNER_COLUMNS = ("Kennung", "Name", "Art", "Region", "Verbuende", "Anschrift")
PARTNER_ROW = ("lk-jugendamt", "Landkreis Zwickau, Jugendamt", "youth_welfare", "sn-zwickau", "kv-nord",
               "Werdauer Str. 62")


def partner_csv(**cells: str) -> bytes:
    row = dict(zip(PARTNER_COLUMNS, PARTNER_ROW, strict=True)) | cells
    return (";".join(PARTNER_COLUMNS) + "\n" + ";".join(row.values()) + "\n").encode("utf-8")


CONTACT_MAPPING = ('delimiter = ";"\n[columns]\norganisation = "Einrichtung"\nname = "Name"\nfunction = "Funktion"\n'
                   'email = "E-Mail"\n')
CONTACT_COLUMNS = ("Einrichtung", "Name", "Funktion", "E-Mail")
CONTACT_ROW = ("sachsen:1001", "Uwe Krause", "Schulleitung", "uwe.krause@example.org")


def contact_csv(**cells: str) -> bytes:
    row = dict(zip(CONTACT_COLUMNS, CONTACT_ROW, strict=True)) | cells
    return (";".join(CONTACT_COLUMNS) + "\n" + ";".join(row.values()) + "\n").encode("utf-8")


def ics(summary: str = "Winterferien", start: str = "20250210", end: str = "20250222", extra: str = "") -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//verbund//test//DE\r\nBEGIN:VEVENT\r\n"
            f"SUMMARY:{summary}\r\nDTSTART;VALUE=DATE:{start}\r\nDTEND;VALUE=DATE:{end}\r\n{extra}"
            "END:VEVENT\r\nEND:VCALENDAR\r\n").encode("utf-8", "surrogatepass")


def prepare(app: App) -> None:
    """A region, a network and one Saxon school, so that partners and contacts have something to join."""
    with app.uow(write=True) as uow:
        zwickau = upsert_region(uow.session, "sn-zwickau", "LaSuB-Standort Zwickau", "SN")
        uow.session.flush()
        create_network(uow.session, zwickau, "kv-nord", "KV Nord", "sachsen-inklusion", app.now())
        uow.commit()


def counts(app: App) -> dict[str, int]:
    """Every table's row count, in one statement (the fuzz tests ask before each case)."""
    with app.engine.connect() as connection:
        return dict(zip((table.__name__ for table in TABLES), connection.exec_driver_sql(COUNT).one(), strict=True))


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass"))
    return path


Runner = Callable[[App, Path, bytes, bytes | None], Any]


def _sachsen(app: App, folder: Path, data: bytes, _mapping: bytes | None) -> Any:
    return import_file(app, SachsenAdapter(), write(folder, "schulen.json", data))


def _nrw(app: App, folder: Path, data: bytes, _mapping: bytes | None) -> Any:
    return import_file(app, NrwAdapter(), write(folder, "schuldaten.csv", data))


def _mapped(app: App, folder: Path, data: bytes, mapping: bytes | None) -> Any:
    adapter = MappedCsvAdapter(load_mapping(write(folder, "zuordnung.toml", mapping or MAPPING.encode())))
    return import_file(app, adapter, write(folder, "schulen.csv", data))


def _coordinates(app: App, folder: Path, data: bytes, mapping: bytes | None) -> Any:
    return import_coordinates(app, write(folder, "koordinaten.csv", data),
                              write(folder, "koordinaten.toml", mapping or COORDINATE_MAPPING.encode()))


def _partners(app: App, folder: Path, data: bytes, mapping: bytes | None) -> Any:
    return import_partners(app, write(folder, "partner.csv", data),
                           write(folder, "partner.toml", mapping or PARTNER_MAPPING.encode()))


def _contacts(app: App, folder: Path, data: bytes, mapping: bytes | None) -> Any:
    return import_contacts(app, write(folder, "kontakte.csv", data),
                           write(folder, "kontakte.toml", mapping or CONTACT_MAPPING.encode()))


def _ferien(app: App, folder: Path, data: bytes, _mapping: bytes | None) -> Any:
    return import_ics(app, write(folder, "ferien.ics", data), "SN")


IMPORTERS: dict[str, Runner] = {
    "sachsen": _sachsen, "nrw": _nrw, "mapped": _mapped, "coordinates": _coordinates, "partners": _partners,
    "contacts": _contacts, "ferien": _ferien,
}
VALID: dict[str, bytes] = {
    "sachsen": saxon_json(), "nrw": nrw_csv(), "mapped": mapped_csv(), "coordinates": COORDINATES,
    "partners": partner_csv(), "contacts": contact_csv(), "ferien": ics(),
}
MAPPINGS: dict[str, str] = {"mapped": MAPPING, "coordinates": COORDINATE_MAPPING, "partners": PARTNER_MAPPING,
                            "contacts": CONTACT_MAPPING}
TODAY = dt.date(2021, 3, 1)
