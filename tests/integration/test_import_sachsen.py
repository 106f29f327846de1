"""Importing the real Zwickau excerpt of the Sächsische Schuldatenbank through the service layer."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from verbund.domain.errors import InvalidInput
from verbund.domain.models import Membership, Organisation, Region
from verbund.domain.schools import FOCI, is_foerderschule
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import ManualClock
from verbund.services.importers import ImportFileError, SachsenAdapter, import_file
from verbund.services.importers.assignment import apply_rules, load_rules
from verbund.services.importers.coverage import coverage_report

SHARED_DATA = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
ZWICKAU = SHARED_DATA / "sachsen" / "schuldatenbank_api_2021-02_zwickau.json"

needs_shared_data = pytest.mark.skipif(
    not ZWICKAU.exists(), reason=f"real school data not found at {ZWICKAU} (set VERBUND_SHARED_DATA)"
)

RULES = """
[[networks]]
slug = "kv-vogtland"
name = "Kooperationsverbund Vogtland"
region = "sn-zwickau"
kreise = ["14523"]

[[networks]]
slug = "kv-zwickau-land"
name = "Kooperationsverbund Landkreis Zwickau"
region = "sn-zwickau"
kreise = ["14524"]
"""


def snapshot(app: App) -> list[tuple[Any, ...]]:
    """Everything the import and assignment touch, in a stable order."""
    with app.uow() as uow:
        rows: list[tuple[Any, ...]] = []
        for table, order in ((Organisation, Organisation.source_id), (Membership, Membership.id),
                             (Region, Region.slug)):
            for item in uow.session.exec(select(table).order_by(col(order))).all():
                rows.append(tuple(sorted(item.model_dump(mode="json").items())))
        return rows


def in_scope(app: App) -> list[Organisation]:
    with app.uow() as uow:
        return list(uow.session.exec(select(Organisation).where(
            Organisation.source == "sachsen", col(Organisation.in_scope).is_(True),
            col(Organisation.closed_at).is_(None))).all())


def region_row(app: App, slug: str) -> dict[str, Any]:
    return next(r for r in coverage_report(app)["regions"] if r["slug"] == slug)


@needs_shared_data
def test_the_zwickau_excerpt_yields_189_public_schools_in_scope_in_sn_zwickau(app: App) -> None:
    report = import_file(app, SachsenAdapter(), ZWICKAU)

    raw = json.loads(ZWICKAU.read_text(encoding="utf-8"))
    assert report.created == len(raw) == 301
    assert report.rejected == []
    schools = in_scope(app)
    assert len(schools) == 189
    with app.uow() as uow:
        regions = {r.id: r.slug for r in uow.session.exec(select(Region)).all()}
    assert {regions[s.region_id] for s in schools if s.region_id} == {"sn-zwickau"}
    assert all(s.kind == "public_school" for s in schools)
    row = region_row(app, "sn-zwickau")
    assert (row["schools_in_scope"], row["assigned"], row["unassigned"], row["assigned_twice"]) == (189, 0, 189, 0)
    assert row["state"] == "SN" and row["name"] == "LaSuB-Standort Zwickau"


@needs_shared_data
def test_19_schools_in_scope_are_foerderschulen_with_a_focus_and_21_counting_klinikschulen(app: App) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)

    schools = in_scope(app)
    with_focus = [s for s in schools if s.special_needs]
    assert len(with_focus) == 19
    assert all(set(s.special_needs) <= set(FOCI) and len(s.special_needs) >= 1 for s in with_focus)
    assert all({int(k) for k in s.school_types} & set(range(31, 38)) for s in with_focus)
    assert len([s for s in schools if is_foerderschule(s.school_types)]) == 21
    klinik = [s for s in schools if "39" in s.school_types and not s.special_needs]
    assert len(klinik) == 2


@needs_shared_data
def test_public_institutions_out_of_scope_are_listed_with_their_reason(app: App) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)

    raw = json.loads(ZWICKAU.read_text(encoding="utf-8"))
    public = {str(x["id"]) for x in raw if x["legal_status_key"] == "01"}
    out = coverage_report(app)["out_of_scope"]
    assert out and all(entry["reason"] for entry in out)
    assert {entry["source_id"] for entry in out} <= public
    assert len(out) + 189 == len(public)
    assert all(set(entry) == {"source_id", "name", "region", "reason"} for entry in out)


@needs_shared_data
def test_importing_the_same_file_again_changes_nothing(app: App) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)
    before = snapshot(app)

    again = import_file(app, SachsenAdapter(), ZWICKAU)

    assert (again.created, again.updated, again.closed, again.unchanged) == (0, 0, 0, 301)
    assert snapshot(app) == before


@needs_shared_data
def test_a_dry_run_reports_the_same_counts_and_stores_nothing(app: App) -> None:
    dry = import_file(app, SachsenAdapter(), ZWICKAU, dry_run=True)

    assert dry.dry_run and dry.created == 301
    assert snapshot(app) == []


@needs_shared_data
def test_shared_institution_keys_and_missing_main_buildings_are_reported_as_handled_quirks(app: App) -> None:
    report = import_file(app, SachsenAdapter(), ZWICKAU)

    fields = {note.field for note in report.notes}
    assert {"institution_key", "buildings"} <= fields
    assert all(note.where.startswith("JSON-Index ") for note in report.notes)


def test_headmaster_fields_are_never_stored(app: App, tmp_path: Path) -> None:
    school = {
        "id": 1, "institution_key": "4540035", "legal_status_key": "01", "inspectorate_key": "05",
        "school_category_key": "10", "headmaster_firstname": "Erika", "headmaster_lastname": "Geheimnisvoll",
        "headmaster_mail": "erika.geheimnisvoll@example.org",
        "buildings": [{"building_type_key": "01", "name": "Goethe-Gymnasium", "community": "Auerbach",
                       "community_key": "14523020", "school_type_keys": [13],
                       "headmaster_phone": "0374499887766"}],
    }
    path = tmp_path / "schools.json"
    path.write_text(json.dumps([school]), encoding="utf-8")

    report = import_file(app, SachsenAdapter(), path)

    assert report.created == 1
    stored = json.dumps(snapshot(app), ensure_ascii=False) + json.dumps(report.to_dict(), ensure_ascii=False)
    for secret in ("Erika", "Geheimnisvoll", "erika.geheimnisvoll", "0374499887766"):
        assert secret not in stored


@needs_shared_data
def test_a_school_that_disappears_is_closed_its_membership_ends_and_coverage_follows(
    app: App, clock: ManualClock, tmp_path: Path
) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    assigned = apply_rules(app, load_rules(rules))
    assert assigned.assigned == 189 and assigned.conflicts == []
    assert region_row(app, "sn-zwickau")["unassigned"] == 0

    raw = json.loads(ZWICKAU.read_text(encoding="utf-8"))
    gone = next(x for x in raw if x["legal_status_key"] == "01" and x["school_category_key"] == "10")
    later = tmp_path / "later.json"
    later.write_text(json.dumps([x for x in raw if x["id"] != gone["id"]]), encoding="utf-8")
    clock.advance(dt.timedelta(days=30))

    report = import_file(app, SachsenAdapter(), later)

    assert (report.closed, report.created, report.updated, report.unchanged) == (1, 0, 0, 300)
    with app.uow() as uow:
        school = uow.session.exec(select(Organisation).where(Organisation.source_id == str(gone["id"]))).one()
        assert school.closed_at == app.now()
        membership = uow.session.exec(select(Membership).where(Membership.organisation_id == school.id)).one()
        assert membership.valid_to == app.now()
    row = region_row(app, "sn-zwickau")
    assert (row["schools_in_scope"], row["assigned"], row["unassigned"]) == (188, 188, 0)
    # The closed school is kept, not deleted, and a further import leaves it closed.
    again = import_file(app, SachsenAdapter(), later)
    assert (again.closed, again.updated, again.unchanged) == (0, 0, 300)


def test_a_file_that_is_not_json_is_rejected_as_a_whole_and_changes_nothing(app: App, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[{"id": 1, "legal_status_key": "01",', encoding="utf-8")

    with pytest.raises(ImportFileError) as error:
        import_file(app, SachsenAdapter(), path)

    assert "broken.json" in str(error.value) and "Zeile 1" in str(error.value)
    assert isinstance(error.value, InvalidInput)
    assert snapshot(app) == []


def test_a_bad_row_is_named_with_its_json_index_and_field_and_the_others_are_stored(
    app: App, tmp_path: Path
) -> None:
    building: dict[str, Any] = {"building_type_key": "01", "name": "Grundschule Am Bach",
                                "community_key": "14524010", "school_type_keys": [11]}
    good = {"id": 7, "legal_status_key": "01", "inspectorate_key": "05", "school_category_key": "10",
            "buildings": [building]}
    bad = {**good, "id": 8, "buildings": [{**building, "school_type_keys": ["zwei"]}]}
    path = tmp_path / "schools.json"
    path.write_text(json.dumps([good, bad]), encoding="utf-8")

    report = import_file(app, SachsenAdapter(), path)

    assert report.created == 1
    assert [p.to_dict() for p in report.rejected] == [{
        "where": "JSON-Index 1", "field": "buildings.school_type_keys",
        "reason": "kein verwendbarer Schulartschlüssel in einem Gebäude ('zwei' ist kein Schulartschlüssel)"}]
    assert report.not_imported == 1
