"""The generic CSV importer: columns declared in a TOML mapping (format in docs/import.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select

from verbund.domain.models import Organisation, Region
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import ManualClock
from verbund.services.importers import ImportFileError, MappedCsvAdapter, import_file, load_mapping
from verbund.services.importers.coverage import coverage_report

MAPPING = """
source = "he-schulen"
state = "HE"
delimiter = ","
default_kind = "public_school"

[columns]
id = "Schulnummer"
name = "Name"
region = "Schulamt"
kind = "Traeger"
community = "Ort"
community_key = "AGS"
school_types = "Schulform"
special_needs = "Foerderschwerpunkte"
latitude = "Breite"
longitude = "Laenge"
closed = "Geschlossen"
out_of_scope = "Nicht_zuordnen"

[kinds]
oeffentlich = "public_school"
privat = "private_school"

[regions."Kassel"]
slug = "he-kassel"
name = "Staatliches Schulamt Kassel"
parent = "Kooperationsverbund Nord"

[regions."Fulda"]
slug = "he-fulda"
name = "Staatliches Schulamt Fulda"
parent = "Kooperationsverbund Nord"
"""

HEADER = ("Schulnummer,Name,Schulamt,Traeger,Ort,AGS,Schulform,Foerderschwerpunkte,Breite,Laenge,Geschlossen,"
          "Nicht_zuordnen")
ROWS = [
    "4711,Grundschule am Park,Kassel,oeffentlich,Kassel,06611000,Grundschule,,51.3127,9.4797,,",
    '4712,Brüder-Grimm-Schule,Kassel,oeffentlich,Kassel,06611000,Förderschule,"LE, SQ",51.30,9.49,,',
    "4713,Domschule,Fulda,privat,Fulda,06631009,Gymnasium,,50.55,9.67,,",
    "4714,Studienseminar Fulda,Fulda,oeffentlich,Fulda,06631009,Seminar,,,,,Lehrerausbildung",
]


def write(tmp_path: Path, rows: list[str], mapping: str = MAPPING) -> tuple[Path, Path]:
    data, spec = tmp_path / "schulen.csv", tmp_path / "mapping.toml"
    data.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    spec.write_text(mapping, encoding="utf-8")
    return data, spec


def stored(app: App) -> dict[str, Organisation]:
    with app.uow() as uow:
        return {o.source_id: o for o in uow.session.exec(
            select(Organisation).where(Organisation.source == "he-schulen")).all()}


def test_a_mapped_csv_imports_schools_kinds_regions_foci_and_coordinates(app: App, tmp_path: Path) -> None:
    data, spec = write(tmp_path, ROWS)

    report = import_file(app, MappedCsvAdapter(load_mapping(spec)), data)

    assert (report.created, report.out_of_scope, report.rejected) == (4, 1, [])
    schools = stored(app)
    assert schools["4711"].kind == "public_school" and schools["4711"].in_scope
    assert schools["4711"].latitude == pytest.approx(51.3127)
    assert schools["4712"].special_needs == ["Lernen", "Sprache"]
    assert schools["4713"].kind == "private_school" and not schools["4713"].in_scope
    assert schools["4714"].out_of_scope_reason == "Lehrerausbildung"
    with app.uow() as uow:
        regions = {r.slug: r for r in uow.session.exec(select(Region)).all()}
    assert regions["he-kassel"].parent == "Kooperationsverbund Nord" and regions["he-kassel"].state == "HE"
    rows = {r["slug"]: r for r in coverage_report(app)["regions"]}
    assert rows["he-kassel"]["schools_in_scope"] == 2 and rows["he-fulda"]["schools_in_scope"] == 0
    assert [o["source_id"] for o in coverage_report(app)["out_of_scope"]] == ["4714"]


def test_reimporting_changes_nothing_and_a_closed_date_closes_the_school(
    app: App, clock: ManualClock, tmp_path: Path
) -> None:
    data, spec = write(tmp_path, ROWS)
    adapter = MappedCsvAdapter(load_mapping(spec))
    import_file(app, adapter, data)
    assert import_file(app, adapter, data).unchanged == 4

    clock.advance(dt.timedelta(days=3))
    closing = "4711,Grundschule am Park,Kassel,oeffentlich,Kassel,06611000,Grundschule,,51.3127,9.4797,31.08.2019,"
    data, _ = write(tmp_path, [closing, *ROWS[1:]])
    report = import_file(app, adapter, data)

    assert (report.closed, report.updated) == (1, 1)
    closed_at = stored(app)["4711"].closed_at
    assert closed_at is not None and closed_at.astimezone(dt.UTC) == dt.datetime(2019, 8, 30, 22, tzinfo=dt.UTC)


def test_bad_rows_are_named_by_line_and_column_and_the_rest_is_stored(app: App, tmp_path: Path) -> None:
    rows = [
        ROWS[0],
        "4720,Schule ohne Amt,Darmstadt,oeffentlich,Darmstadt,06411000,Grundschule,,,,,",
        "4721,Schule mit Unsinn,Kassel,oeffentlich,Kassel,06611000,Grundschule,Fliegen,,,,",
        "4722,Schule am Pol,Kassel,oeffentlich,Kassel,06611000,Grundschule,,95.0,9.4,,",
        ",Schule ohne Nummer,Kassel,oeffentlich,Kassel,06611000,Grundschule,,,,,",
        "4711,Doppelte Nummer,Kassel,oeffentlich,Kassel,06611000,Grundschule,,,,,",
    ]
    data, spec = write(tmp_path, rows)

    report = import_file(app, MappedCsvAdapter(load_mapping(spec)), data)

    # An unknown Förderschwerpunkt and an impossible coordinate are blemishes: the school is kept
    # without the bad value and the blemish is a note (issue 16).
    assert report.created == 3
    assert [(p.where, p.field) for p in report.rejected] == [
        ("Zeile 3", "Schulamt"), ("Zeile 6", "Schulnummer"), ("Zeile 7", "id")]
    assert all(p.reason for p in report.rejected)
    assert [(p.where, p.field) for p in report.notes] == [("Zeile 4", "Foerderschwerpunkte"), ("Zeile 5", "Breite")]


@pytest.mark.parametrize(("change", "named"), [
    (lambda m: m.replace('source = "he-schulen"', 'source = "HE Schulen"'), "source"),
    (lambda m: m.replace('id = "Schulnummer"\n', ""), "columns.id"),
    (lambda m: m.replace('slug = "he-kassel"', 'slug = "sn-kassel"'), "regions"),
    (lambda m: m.replace('privat = "private_school"', 'privat = "villa"'), "kinds.privat"),
    (lambda m: m.replace("[columns]", "[columns]\nheadmaster = \"Leitung\""), "unbekannte Felder headmaster"),
    (lambda m: m + "\n[broken", "TOML"),
])
def test_a_bad_mapping_is_refused_naming_the_key(tmp_path: Path, change: object, named: str) -> None:
    _, spec = write(tmp_path, ROWS, mapping=change(MAPPING))  # type: ignore[operator]

    with pytest.raises(ImportFileError) as error:
        load_mapping(spec)

    assert named in str(error.value)


def test_a_file_without_a_mapped_column_changes_nothing(app: App, tmp_path: Path) -> None:
    data, spec = write(tmp_path, ROWS)
    data.write_text(data.read_text(encoding="utf-8").replace("Schulamt", "Amt"), encoding="utf-8")

    with pytest.raises(ImportFileError, match="Spalten fehlen: Schulamt"):
        import_file(app, MappedCsvAdapter(load_mapping(spec)), data)

    assert stored(app) == {}
