"""No school lost for a blemish (issue 16): Saxon API records with a broken secondary building, no main
building, a shared institution_key, and one whose only school type key is unusable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import select

from verbund.domain.models import Organisation
from verbund.services.app.bootstrap import App
from verbund.services.importers import SachsenAdapter, import_file
from verbund.services.importers.coverage import coverage_report, region_coverage


def institution(number: int, name: str, buildings: list[dict[str, Any]], key: str | None = None) -> dict[str, Any]:
    return {"id": number, "institution_key": key or f"45{number:05d}", "legal_status_key": "01",
            "inspectorate_key": "05", "school_category_key": "10", "buildings": buildings}


def building(kind: str, name: str, keys: list[Any]) -> dict[str, Any]:
    return {"building_type_key": kind, "name": name, "community": "Zwickau", "community_key": "14524330",
            "school_type_keys": keys}


RECORDS = [
    # a Gymnasium whose secondary building carries an empty school type key
    institution(1, "Gymnasium Am Schwanenteich", [building("01", "Gymnasium Am Schwanenteich", [21]),
                                                  building("02", "Gymnasium, Außenstelle", [""])]),
    # a Klinikschule without a main building
    institution(2, "Klinikschule Zwickau", [building("03", "Klinikschule Zwickau", [39])]),
    # an evening school sharing its host school's institution_key
    institution(3, "Abendoberschule Zwickau", [building("01", "Abendoberschule Zwickau", [41])], key="4500001"),
    # a Förderschule geistige Entwicklung whose only school type key is unusable
    institution(4, "Förderschule Am Wald", [building("01", "Förderschule Am Wald", [""])]),
]


def imported(app: App, tmp_path: Path) -> Any:
    path = tmp_path / "schools.json"
    path.write_text(json.dumps(RECORDS), encoding="utf-8")
    return import_file(app, SachsenAdapter(), path)


def test_blemished_schools_are_imported_with_notes_and_the_unusable_one_is_not_imported(
    app: App, tmp_path: Path
) -> None:
    report = imported(app, tmp_path)

    assert (report.created, report.not_imported) == (3, 1)
    assert [(p.where, p.field) for p in report.rejected] == [("JSON-Index 3", "buildings.school_type_keys")]
    with app.uow() as uow:
        schools = {o.source_id: o for o in uow.session.exec(select(Organisation)).all()}
    assert set(schools) == {"1", "2", "3"}
    assert schools["1"].school_types == ["21"]
    assert any("'' ist kein Schulartschlüssel" in note for note in schools["1"].import_notes)
    assert any("kein Hauptgebäude" in note for note in schools["2"].import_notes)
    assert schools["2"].school_types == ["39"] and schools["2"].in_scope
    assert any("Dienststellenschlüssel 4500001" in note for note in schools["3"].import_notes)


def test_coverage_counts_the_three_and_lists_the_fourth_as_not_imported_with_its_reason(
    app: App, tmp_path: Path
) -> None:
    imported(app, tmp_path)

    data = coverage_report(app)
    row = next(r for r in data["regions"] if r["slug"] == "sn-zwickau")
    assert (row["schools_in_scope"], row["unassigned"], row["not_imported"]) == (3, 3, 1)
    assert data["states"] == [{"state": "SN", "schools_in_scope": 3, "assigned": 0, "unassigned": 3,
                               "assigned_twice": 0, "not_imported": 1}]
    [missing] = data["not_imported"]
    assert missing["source_id"] == "4" and missing["name"] == "Förderschule Am Wald"
    assert missing["region"] == "sn-zwickau" and missing["where"] == "JSON-Index 3"
    assert "kein verwendbarer Schulartschlüssel" in missing["reason"]


def test_not_imported_does_not_block_the_analysis_stage_and_disappears_once_the_row_is_fixed(
    app: App, tmp_path: Path
) -> None:
    imported(app, tmp_path)
    with app.uow() as uow:
        region_id = uow.session.exec(select(Organisation.region_id)).first()
        assert region_id is not None
        fact = region_coverage(uow.session, region_id, app.now())
    assert fact.schools_in_scope == 3  # the missing school is not an unassigned one

    fixed_records = [*RECORDS[:3], institution(4, "Förderschule Am Wald",
                                               [building("01", "Förderschule Am Wald", [33])])]
    path = tmp_path / "fixed.json"
    path.write_text(json.dumps(fixed_records), encoding="utf-8")
    again = import_file(app, SachsenAdapter(), path)

    assert (again.created, again.not_imported) == (1, 0)
    data = coverage_report(app)
    assert data["not_imported"] == []
    row = next(r for r in data["regions"] if r["slug"] == "sn-zwickau")
    assert (row["schools_in_scope"], row["not_imported"]) == (4, 0)


def test_a_dry_run_reports_not_imported_but_stores_nothing(app: App, tmp_path: Path) -> None:
    path = tmp_path / "schools.json"
    path.write_text(json.dumps(RECORDS), encoding="utf-8")

    report = import_file(app, SachsenAdapter(), path, dry_run=True)

    assert report.to_dict()["not_imported"] == 1
    assert coverage_report(app)["not_imported"] == []


def test_the_overview_and_the_report_show_not_imported_next_to_the_regions_figures(
    app: App, tmp_path: Path
) -> None:
    import datetime as dt
    import uuid

    from verbund.services.access.users import Principal
    from verbund.services.directory.setup import create_network, upsert_region
    from verbund.services.readmodels.overview import OverviewQuery, overview
    from verbund.services.report import build_report

    imported(app, tmp_path)
    with app.uow(write=True) as uow:
        region = upsert_region(uow.session, "sn-zwickau", "LaSuB-Standort Zwickau", "SN")
        create_network(uow.session, region, "kv-vogtland", "KV Vogtland", "sachsen-inklusion", app.now())
        uow.commit()

    ministry = Principal(uuid.uuid4(), "m@example.org", "Ministerium", "ministry")
    regions = overview(app, ministry, OverviewQuery())["regions"]
    assert [(r["slug"], r["schools_in_scope"], r["not_imported"]) for r in regions] == [("sn-zwickau", 3, 1)]
    report = build_report(app, as_of=app.now().date() + dt.timedelta(days=1))
    assert "Nicht importiert und daher nicht mitgezählt: 1 Schule im Geltungsbereich" in report.summary
