"""The seven kinds of input that gave importers a traceback (issue 15) now give a clean, row-level
error or note, the same on SQLite and PostgreSQL:

- nesting 100,000 deep (JSON, TOML), integers over 4,300 digits (Python's int limit), a type key
  "²" (``str.isdigit`` says yes, ``int`` says no), a date in year 10^20, an empty or multi-character
  mapping delimiter: a refusal naming the place, nothing stored;
- a NUL byte or a lone surrogate: in an essential field (docs/import.md) it rejects the row, anywhere
  else the value is dropped with a note; never a ``DataError`` (PostgreSQL) or ``UnicodeEncodeError``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from importer_files import (
    IMPORTERS,
    MAPPING,
    PARTNER_MAPPING,
    VALID,
    contact_csv,
    counts,
    ics,
    mapped_csv,
    nrw_csv,
    partner_csv,
    prepare,
    saxon_json,
    saxon_school,
)
from sqlmodel import select

from verbund.domain.errors import DomainError
from verbund.domain.tables import NotImportedSchool, Organisation
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings

DEEP = 100_000
LONG = "9" * 5000
SURROGATE = "A\ud800B"

# (importer, file, mapping or None): the whole file is refused with an importer error, nothing stored.
REFUSED: dict[str, tuple[str, bytes, bytes | None]] = {
    "sachsen: JSON 100,000 deep": ("sachsen", b"[" * DEEP + b"]" * DEEP, None),
    "sachsen: a deep value in a row": ("sachsen", b'[{"id": 1, "x": ' + b"[" * DEEP + b"]" * DEEP + b"}]", None),
    "mapped: TOML 100,000 deep": ("mapped", b"", b"a = " + b"[" * DEEP + b"]" * DEEP),
    "partners: TOML inline tables 100,000 deep": ("partners", b"", b"a = " + b"{b=" * DEEP + b"}" * DEEP),
    "coordinates: TOML 100,000 deep": ("coordinates", b"", b"a = " + b"[" * DEEP + b"]" * DEEP),
    "mapped: a 5,000-digit number in the mapping": (
        "mapped", b"", MAPPING.replace('delimiter = ";"', f"delimiter = {LONG}").encode(),
    ),
    "partners: a 5,000-digit sheet": ("partners", b"", (PARTNER_MAPPING + f"sheet = {LONG}\n").encode()),
    "mapped: empty delimiter": ("mapped", mapped_csv(), MAPPING.replace('delimiter = ";"', 'delimiter = ""').encode()),
    "mapped: two-character delimiter": (
        "mapped", mapped_csv(), MAPPING.replace('delimiter = ";"', 'delimiter = ";;"').encode(),
    ),
    "partners: empty delimiter": ("partners", partner_csv(), PARTNER_MAPPING.replace('";"', '""').encode()),
    "coordinates: two-character delimiter": (
        "coordinates", b"k,lat,lon\n", b'delimiter = ",,"\n[columns]\nkey = "k"\nlatitude = "lat"\nlongitude = "lon"\n',
    ),
    "mapped: a NUL byte in the mapping": (
        "mapped", mapped_csv(), MAPPING.replace('name = "Staatliches', 'name = "Staat\\u0000liches').encode(),
    ),
    "nrw: a quote as sep= delimiter": ("nrw", b'sep="\nSchulnummer\n', None),
    "ferien: a date in year 10^20": ("ferien", ics(start="1" + "0" * 20 + "0210"), None),
    "ferien: a year outside 1900-2199": ("ferien", ics(start="99991231", end="99991231"), None),
    "ferien: a duration of 5,000 digits": (
        "ferien", ics(end="", extra=f"DURATION:P{LONG}D\r\n").replace(b"DTEND;VALUE=DATE:\r\n", b""), None,
    ),
    "ferien: a duration of 10^11 days": (
        "ferien", ics(end="", extra="DURATION:P99999999999D\r\n").replace(b"DTEND;VALUE=DATE:\r\n", b""), None,
    ),
}

# (importer, file): one row rejected naming ``field``; nothing of it stored (schools: perhaps "nicht importiert").
REJECTED: dict[str, tuple[str, bytes, str]] = {
    "sachsen: a 5,000-digit id": (
        "sachsen", saxon_json(saxon_school()).replace(b'"id": 1001', f'"id": {LONG}'.encode()), "id",
    ),
    "sachsen: a 5,000-digit type key": (
        "sachsen", saxon_json(saxon_school()).replace(b"[11]", f"[{LONG}]".encode()), "buildings.school_type_keys",
    ),
    "sachsen: type key ²": (
        "sachsen", saxon_json(saxon_school(building={"school_type_keys": ["²"]})), "buildings.school_type_keys",
    ),
    "sachsen: NUL byte in the name": (
        "sachsen", saxon_json(saxon_school(building={"name": "Grund\x00schule"})), "name",
    ),
    "sachsen: lone surrogate in the name": ("sachsen", saxon_json(saxon_school(building={"name": SURROGATE})), "name"),
    "sachsen: lone surrogate in the id": ("sachsen", saxon_json(saxon_school(id=SURROGATE)), "id"),
    "sachsen: lone surrogate as type key": (
        "sachsen", saxon_json(saxon_school(building={"school_type_keys": [SURROGATE]})), "buildings.school_type_keys",
    ),
    "nrw: year 10^20 where the date decides": (
        "nrw", nrw_csv(Schulbetriebsschluessel="5", Schulbetriebsdatum="01.01.1" + "0" * 20), "Schulbetriebsdatum",
    ),
    "nrw: Schulnummer ²²²²²²": ("nrw", nrw_csv(Schulnummer="²" * 6), "Schulnummer"),
    "nrw: NUL byte in the name": ("nrw", nrw_csv(Schulbezeichnung_1="Grund\x00schule"), "name"),
    "mapped: NUL byte in the id": ("mapped", mapped_csv(Nr="47\x0001"), "id"),
    "mapped: NUL byte in the name": ("mapped", mapped_csv(Name="Grund\x00schule"), "name"),
    "mapped: closing date in year 10^20": ("mapped", mapped_csv(Zu="01.01.1" + "0" * 20), "Zu"),
    "partners: NUL byte in the key": ("partners", partner_csv(Kennung="lk\x00a"), "Kennung"),
    "partners: NUL byte in the name": ("partners", partner_csv(Name="Jugend\x00amt"), "Name"),
    "contacts: NUL byte in the name": ("contacts", contact_csv(Name="Uwe\x00Krause"), "Name"),
    "contacts: NUL byte in the e-mail address": (
        "contacts", contact_csv(**{"E-Mail": "uwe\x00@example.org"}), "E-Mail",
    ),
}

# (importer, file, field): stored, the value dropped with a note naming ``field``.
NOTED: dict[str, tuple[str, bytes, str]] = {
    "sachsen: NUL byte in the community": (
        "sachsen", saxon_json(saxon_school(building={"community": "Zwi\x00ckau"})), "community",
    ),
    "sachsen: lone surrogate in the community": (
        "sachsen", saxon_json(saxon_school(building={"community": SURROGATE})), "community",
    ),
    "sachsen: NUL byte in the institution key": (
        "sachsen", saxon_json(saxon_school(institution_key="45\x0001")), "service_key",
    ),
    "sachsen: community key ²": (
        "sachsen", saxon_json(saxon_school(building={"community_key": "²" * 8})), "buildings.community_key",
    ),
    "nrw: year 10^20 where it does not decide": (
        "nrw", nrw_csv(Schulbetriebsdatum="01.01.1" + "0" * 20), "Schulbetriebsdatum",
    ),
    "nrw: a 5,000-digit year": ("nrw", nrw_csv(Schulbetriebsdatum="01.01." + LONG), "Schulbetriebsdatum"),
    "nrw: NUL byte in the Ort": ("nrw", nrw_csv(Ort="Bo\x00chum"), "community"),
    "mapped: NUL byte in the Ort": ("mapped", mapped_csv(Ort="Kas\x00sel"), "community"),
    "mapped: NUL byte in a school type": ("mapped", mapped_csv(Arten="Grund\x00schule"), "school_types"),
    "mapped: community key ²": ("mapped", mapped_csv(AGS="²" * 8), "AGS"),
    "partners: NUL byte in the address": ("partners", partner_csv(Anschrift="Werdauer\x00Str."), "Anschrift"),
    "contacts: NUL byte in the function": ("contacts", contact_csv(Funktion="Schul\x00leitung"), "Funktion"),
}


@pytest.fixture
def world(app: App, tmp_path: Path) -> App:
    """A region, a network and one Saxon school (sachsen:1001)."""
    prepare(app)
    IMPORTERS["sachsen"](app, tmp_path, VALID["sachsen"], None)
    return app


def run(app: App, tmp_path: Path, importer: str, data: bytes, mapping: bytes | None = None) -> Any:
    return IMPORTERS[importer](app, tmp_path, data, mapping)


def problems(report: Any, kind: str) -> list[dict[str, str]]:
    if isinstance(report, dict):  # the Ferien import
        return [{"field": note, "reason": note} for note in report.get(kind, [])]
    return [problem.to_dict() for problem in getattr(report, kind)]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_hostile_file_is_refused_naming_the_place_and_stores_nothing(world: App, tmp_path: Path, case: str) -> None:
    importer, data, mapping = REFUSED[case]
    before = counts(world)
    with pytest.raises(DomainError) as refused:
        run(world, tmp_path, importer, data, mapping)
    message = str(refused.value)
    assert "Traceback" not in message and len(message) < 400, message
    assert counts(world) == before


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_a_hostile_value_in_an_essential_field_rejects_its_row(world: App, tmp_path: Path, case: str) -> None:
    importer, data, field = REJECTED[case]
    before = counts(world)
    report = run(world, tmp_path, importer, data)
    rejected = problems(report, "rejected")
    assert [problem["field"] for problem in rejected] == [field], rejected
    assert all("\x00" not in problem["reason"] and "\ud800" not in problem["reason"] for problem in rejected)
    after = counts(world)
    assert after["Contact"] == before["Contact"] and after["Organisation"] == before["Organisation"]
    _no_unstorable_text(world)


@pytest.mark.parametrize("case", sorted(NOTED))
def test_a_hostile_value_in_another_field_is_dropped_with_a_note(world: App, tmp_path: Path, case: str) -> None:
    importer, data, field = NOTED[case]
    report = run(world, tmp_path, importer, data)
    assert not problems(report, "rejected"), problems(report, "rejected")
    assert field in [problem["field"] for problem in problems(report, "notes")], problems(report, "notes")
    _no_unstorable_text(world)


def test_a_nul_byte_in_a_ferien_name_is_dropped_with_a_note(world: App, tmp_path: Path) -> None:
    report = run(world, tmp_path, "ferien", ics(summary="Winter\x00ferien"))
    assert report["imported"] == 1 and len(report["notes"]) == 1 and "NUL" in report["notes"][0]


def test_a_rejected_school_with_a_nul_byte_in_its_name_is_listed_as_not_imported_without_a_name(
    app: App, tmp_path: Path,
) -> None:
    run(app, tmp_path, "sachsen", saxon_json(saxon_school(building={"name": "Grund\x00schule"})))
    with app.uow() as uow:
        listed = uow.session.exec(select(NotImportedSchool)).all()
    assert [(row.source_id, row.name, row.field) for row in listed] == [("1001", None, "name")]


def _no_unstorable_text(app: App) -> None:
    with app.uow() as uow:
        for school in uow.session.exec(select(Organisation)).all():
            text = repr(school.model_dump())
            assert "\\x00" not in text and "\\ud800" not in text, text


# --- the same on PostgreSQL ---------------------------------------------------------------------

@pytest.fixture
def pg_world(pg_database_url: str) -> Iterator[App]:
    clock = ManualClock(dt.datetime(2021, 3, 1, 9, tzinfo=dt.UTC))
    app = bootstrap(Settings(database_url=pg_database_url), clock=clock, trigger=RecordingTrigger())
    prepare(app)
    yield app
    app.engine.dispose()


UNSTORABLE = [case for case in sorted(REJECTED) + sorted(NOTED) if "NUL" in case or "surrogate" in case]


def test_nul_bytes_and_lone_surrogates_behave_alike_on_postgresql(pg_world: App, tmp_path: Path) -> None:
    IMPORTERS["sachsen"](pg_world, tmp_path, VALID["sachsen"], None)
    for case in UNSTORABLE:
        importer, data, field = REJECTED.get(case) or NOTED[case]
        report = run(pg_world, tmp_path, importer, data)
        kind = "rejected" if case in REJECTED else "notes"
        assert field in [problem["field"] for problem in problems(report, kind)], (case, report)
    _no_unstorable_text(pg_world)
