"""Property-based: broken rows and broken files never crash an import, every bad row is named
(where, field, reason), and a file that fails stores nothing. A blemish in a non-essential field
never costs a school: it is dropped with a note (issue 16); only an unusable essential field rejects
its row, and nothing else."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from verbund.domain.models import Membership, Organisation, OrganisationKind, Region
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings
from verbund.services.importers import (
    ImportFileError,
    MappedCsvAdapter,
    NrwAdapter,
    SachsenAdapter,
    import_file,
    load_mapping,
)

TODAY = dt.date(2021, 3, 1)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def fresh_app() -> Iterator[App]:
    with tempfile.TemporaryDirectory() as directory:
        app = bootstrap(Settings(database_url=f"sqlite:///{directory}/verbund.db"),
                        clock=ManualClock(dt.datetime(2021, 3, 1, 9, tzinfo=BERLIN)), trigger=RecordingTrigger())
        try:
            yield app
        finally:
            app.engine.dispose()


def snapshot(app: App) -> list[tuple[Any, ...]]:
    with app.uow() as uow:
        orgs = uow.session.exec(select(Organisation).order_by(col(Organisation.source_id))).all()
        regions = uow.session.exec(select(Region).order_by(col(Region.slug))).all()
        return [tuple(sorted(o.model_dump(mode="json").items())) for o in [*orgs, *regions]]


# --- Sachsen: rows ------------------------------------------------------------------------------

def school(number: int) -> dict[str, Any]:
    return {
        "id": 1000 + number, "institution_key": f"45{number:05d}", "legal_status_key": "01",
        "inspectorate_key": "05", "school_category_key": "10",
        "buildings": [{"building_type_key": "01", "name": f"Grundschule Nr. {number}",
                       "community": "Zwickau", "community_key": "14524330", "school_type_keys": [11]}],
    }


def _building(item: dict[str, Any], key: str, value: Any) -> None:
    item["buildings"][0][key] = value


def _no_name(item: dict[str, Any], value: Any) -> None:
    _building(item, "name", value)
    _building(item, "name1", value)


# Each breaks one row for certain, and names the field the report must name.
BREAKAGES: dict[str, tuple[str, Callable[[dict[str, Any], Any], None], st.SearchStrategy[Any]]] = {
    "id": ("id", lambda item, v: item.__setitem__("id", v), st.sampled_from([None, True, [], {}, ""])),
    "no id": ("id", lambda item, v: item.pop("id"), st.none()),
    "legal": ("legal_status_key", lambda item, v: item.__setitem__("legal_status_key", v),
              st.sampled_from([None, 1, "", "  ", []])),
    "inspectorate": ("inspectorate_key", lambda item, v: item.__setitem__("inspectorate_key", v),
                     st.sampled_from([None, 5, ""])),
    "buildings": ("buildings", lambda item, v: item.__setitem__("buildings", v),
                  st.sampled_from([None, [], "Haus", [1], {"name": "x"}])),
    "name": ("buildings.name", _no_name, st.sampled_from([None, "", "   "])),
    "type keys": ("buildings.school_type_keys", lambda item, v: _building(item, "school_type_keys", v),
                  st.sampled_from([["a"], [True], [1.5], "x", [None], [""], []])),
    "not an object": ("(Eintrag)", lambda item, v: None, st.sampled_from([1, "Schule", None, [1, 2]])),
}


def _secondary(item: dict[str, Any], building: Any) -> None:
    item["buildings"].append(building)


# Each is a blemish in a non-essential field: the school is imported all the same, with a note.
BLEMISHES: dict[str, tuple[Callable[[dict[str, Any], Any], None], st.SearchStrategy[Any]]] = {
    "community_key": (lambda item, v: _building(item, "community_key", v),
                      st.text(min_size=1, max_size=12).filter(lambda t: not (t.strip().isdigit()
                                                                            and len(t.strip()) == 8)
                                                              and bool(t.strip()))),
    "secondary type key": (lambda item, v: _secondary(item, {"building_type_key": "02", "name": "Außenstelle",
                                                               "school_type_keys": v}),
                           st.sampled_from([[""], ["x"], [None], [True], "", [1.5]])),
    "secondary not an object": (_secondary, st.sampled_from([None, "Haus", 3, [1]])),
    "no main building": (lambda item, v: _building(item, "building_type_key", v), st.sampled_from(["02", None, ""])),
    "phone, postcode, street": (lambda item, v: item["buildings"][0].update(v), st.fixed_dictionaries({
        "phone_number_1": st.sampled_from([None, "", "keine"]), "postcode": st.text(max_size=8),
        "street": st.text(max_size=10).map(lambda t: t + "\x00")})),
    "shared institution_key": (lambda item, v: item.__setitem__("institution_key", v), st.just("4500000")),
}


@st.composite
def sachsen_files(draw: st.DrawFn) -> tuple[list[Any], dict[int, str]]:
    """A list of schools, some broken; returns it and {index: field the report must name}."""
    count = draw(st.integers(min_value=1, max_value=12))
    items: list[Any] = []
    broken: dict[int, str] = {}
    for index in range(count):
        item = school(index)
        if draw(st.booleans()):
            blemish, values = BLEMISHES[draw(st.sampled_from(sorted(BLEMISHES)))]
            blemish(item, draw(values))
        if draw(st.booleans()):
            name = draw(st.sampled_from(sorted(BREAKAGES)))
            field, breaker, values = BREAKAGES[name]
            value = draw(values)
            if name == "not an object":
                item = value
            else:
                breaker(item, value)
            broken[index] = field
        items.append(item)
    return items, broken


@SETTINGS
@given(sachsen_files())
def test_every_broken_saxon_row_is_named_and_the_good_ones_are_read(case: tuple[list[Any], dict[int, str]]) -> None:
    items, broken = case
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "schools.json"
        path.write_text(json.dumps(items), encoding="utf-8")
        parsed = SachsenAdapter().parse(path, TODAY)

    named = {p.where: p for p in parsed.rejected}
    assert set(named) == {f"JSON-Index {i}" for i in broken}
    for index, field in broken.items():
        problem = named[f"JSON-Index {index}"]
        assert problem.field == field and problem.reason
    assert {r.where for r in parsed.records} == {f"JSON-Index {i}" for i in range(len(items)) if i not in broken}
    # every rejected row here is a public school in scope: "nicht importiert", except non-objects
    assert {n.where for n in parsed.not_imported} == {
        f"JSON-Index {i}" for i, field in broken.items() if field not in {"(Eintrag)", "inspectorate_key",
                                                                       "legal_status_key"}}


# --- NRW: rows ----------------------------------------------------------------------------------

NRW_HEADER = ["Schulnummer", "Schulform", "Schulbezeichnung_1", "Schulbezeichnung_2", "Schulbezeichnung_3",
              "Kurzbezeichnung", "Bezirksregierung", "Ort", "Rechtsform", "Gemeindeschluessel",
              "Schulbetriebsschluessel", "Schulbetriebsdatum", "EPSG", "UTMRechtswert", "UTMHochwert"]


def nrw_row(number: int) -> dict[str, str]:
    return {"Schulnummer": f"{100000 + number}", "Schulform": "02", "Schulbezeichnung_1": f"Grundschule {number}",
            "Schulbezeichnung_2": "", "Schulbezeichnung_3": "", "Kurzbezeichnung": "Bochum, GG",
            "Bezirksregierung": "9", "Ort": "Bochum", "Rechtsform": "1", "Gemeindeschluessel": "05911000",
            "Schulbetriebsschluessel": "1", "Schulbetriebsdatum": "01.08.1970", "EPSG": "EPSG:25832",
            "UTMRechtswert": f"{378000 + number}", "UTMHochwert": "5701853"}


NRW_BREAKAGES: dict[str, st.SearchStrategy[str]] = {
    "Schulnummer": st.sampled_from(["", "12345", "1234567", "abcdef"]),
    "Schulform": st.just(""),
    "Schulbezeichnung_1": st.just(""),
    "Rechtsform": st.sampled_from(["", "0", "3", "x"]),
    "Gemeindeschluessel": st.sampled_from(["", "0591100", "09162000", "abcdefgh"]),
    "Schulbetriebsschluessel": st.sampled_from(["", "7", "x"]),
}
# Blemishes: kept with a note (coordinates and an operating school's Schulbetriebsdatum are not essential).
NRW_BLEMISHES: dict[str, st.SearchStrategy[str]] = {
    "Schulbetriebsdatum": st.sampled_from(["32.13.2020", "2020-08-01", "1.1"]),
    "EPSG": st.sampled_from(["EPSG:4326", "EPSG:31467"]),
    "UTMRechtswert": st.sampled_from(["abc", "1", "9999999"]),
    "UTMHochwert": st.sampled_from(["x,y", "42", "1e12"]),
    "Ort": st.sampled_from(["", "\x00", "Bochum\x00"]),
    "Kurzbezeichnung": st.text(max_size=12).filter(lambda t: "\n" not in t and "\r" not in t),
}


@st.composite
def nrw_files(draw: st.DrawFn) -> tuple[list[dict[str, str]], dict[int, str]]:
    count = draw(st.integers(min_value=1, max_value=10))
    rows, broken = [], {}
    for index in range(count):
        row = nrw_row(index)
        if draw(st.booleans()):
            blemish = draw(st.sampled_from(sorted(NRW_BLEMISHES)))
            row[blemish] = draw(NRW_BLEMISHES[blemish])
        if draw(st.booleans()):
            field = draw(st.sampled_from(sorted(NRW_BREAKAGES)))
            row[field] = draw(NRW_BREAKAGES[field])
            broken[index] = field
        rows.append(row)
    return rows, broken


def nrw_text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    out.write("sep=;\n")
    writer = csv.DictWriter(out, NRW_HEADER, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@SETTINGS
@given(nrw_files())
def test_every_broken_nrw_row_is_named_by_its_line_and_field(case: tuple[list[dict[str, str]], dict[int, str]]) -> None:
    rows, broken = case
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "schuldaten.csv"
        path.write_text(nrw_text(rows), encoding="utf-8")
        parsed = NrwAdapter().parse(path, TODAY)

    # line 1 is ``sep=;``, line 2 the header: row i sits on line i + 3.
    named = {p.where: p for p in parsed.rejected}
    assert set(named) == {f"Zeile {i + 3}" for i in broken}
    for index, field in broken.items():
        problem = named[f"Zeile {index + 3}"]
        assert problem.field == field and problem.reason, problem
    assert len(parsed.records) == len(rows) - len(broken)


# --- mapped CSV: rows ----------------------------------------------------------------------------

MAPPED = """
source = "he-schulen"
state = "HE"
[columns]
id = "Schulnummer"
name = "Name"
region = "Schulamt"
kind = "Traeger"
community = "Ort"
community_key = "AGS"
special_needs = "Foerderschwerpunkte"
latitude = "Breite"
longitude = "Laenge"
closed = "Geschlossen"
[kinds]
oeffentlich = "public_school"
[regions."Kassel"]
slug = "he-kassel"
name = "Staatliches Schulamt Kassel"
"""
MAPPED_HEADER = ["Schulnummer", "Name", "Schulamt", "Traeger", "Ort", "AGS", "Foerderschwerpunkte", "Breite",
                 "Laenge", "Geschlossen"]


def mapped_row(number: int) -> dict[str, str]:
    return {"Schulnummer": f"{4700 + number}", "Name": f"Grundschule {number}", "Schulamt": "Kassel",
            "Traeger": "oeffentlich", "Ort": "Kassel", "AGS": "06611000", "Foerderschwerpunkte": "LE",
            "Breite": "51.31", "Laenge": "9.48", "Geschlossen": ""}


CELL = st.text(max_size=10).filter(lambda t: "\r" not in t and "\n" not in t)
MAPPED_BREAKAGES: dict[str, st.SearchStrategy[str]] = {
    "Schulnummer": st.just(""),
    "Name": st.just(""),
    "Schulamt": CELL.filter(lambda t: t.strip() != "Kassel"),
    "Traeger": CELL.filter(lambda t: t.strip() not in {"oeffentlich", *OrganisationKind.__members__}),
    "Geschlossen": st.sampled_from(["31.02.2020", "morgen", "2020-13-01"]),
}
MAPPED_BLEMISHES: dict[str, st.SearchStrategy[str]] = {
    "Ort": CELL,
    "AGS": CELL,
    "Foerderschwerpunkte": CELL,
    "Breite": CELL,
    "Laenge": st.sampled_from(["", "x", "200", "nan", "1e400"]),
}


@st.composite
def mapped_files(draw: st.DrawFn) -> tuple[list[dict[str, str]], dict[int, str]]:
    count = draw(st.integers(min_value=1, max_value=10))
    rows, broken = [], {}
    for index in range(count):
        row = mapped_row(index)
        if draw(st.booleans()):
            blemish = draw(st.sampled_from(sorted(MAPPED_BLEMISHES)))
            row[blemish] = draw(MAPPED_BLEMISHES[blemish])
        if draw(st.booleans()):
            field = draw(st.sampled_from(sorted(MAPPED_BREAKAGES)))
            row[field] = draw(MAPPED_BREAKAGES[field])
            broken[index] = field
        rows.append(row)
    return rows, broken


@SETTINGS
@given(mapped_files())
def test_a_blemish_never_costs_a_mapped_school_and_a_broken_essential_field_rejects_only_its_row(
    case: tuple[list[dict[str, str]], dict[int, str]],
) -> None:
    rows, broken = case
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        (folder / "m.toml").write_text(MAPPED, encoding="utf-8")
        out = io.StringIO()
        writer = csv.DictWriter(out, MAPPED_HEADER, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        (folder / "s.csv").write_text(out.getvalue(), encoding="utf-8")
        parsed = MappedCsvAdapter(load_mapping(folder / "m.toml")).parse(folder / "s.csv", TODAY)

    named = {p.where: p for p in parsed.rejected}
    assert set(named) == {f"Zeile {i + 2}" for i in broken}
    for index, field in broken.items():
        assert named[f"Zeile {index + 2}"].field == field and named[f"Zeile {index + 2}"].reason
    assert len(parsed.records) == len(rows) - len(broken)
    assert all(record.latitude is None or -90 <= record.latitude <= 90 for record in parsed.records)


# --- whole files --------------------------------------------------------------------------------

@st.composite
def corrupted(draw: st.DrawFn, original: bytes) -> bytes:
    """The original file truncated, with bytes spliced in, or replaced by arbitrary bytes."""
    how = draw(st.sampled_from(["truncate", "splice", "garbage"]))
    if how == "truncate":
        return original[:draw(st.integers(min_value=0, max_value=len(original) - 1))]
    if how == "splice":
        at = draw(st.integers(min_value=0, max_value=len(original)))
        return original[:at] + draw(st.binary(min_size=1, max_size=8)) + original[at:]
    return draw(st.binary(max_size=200))


SAXON_FILE = json.dumps([school(i) for i in range(6)]).encode()
NRW_FILE = nrw_text([nrw_row(i) for i in range(6)]).encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_broken_file_never_crashes_and_a_failing_one_stores_nothing(data: st.DataObject) -> None:
    cases: list[tuple[SachsenAdapter | NrwAdapter, bytes]] = [(SachsenAdapter(), SAXON_FILE), (NrwAdapter(), NRW_FILE)]
    adapter, original = data.draw(st.sampled_from(cases))
    content = data.draw(corrupted(original))
    with fresh_app() as app, tempfile.TemporaryDirectory() as directory:
        first = Path(directory) / "first"
        first.write_bytes(original)
        import_file(app, adapter, first)
        before = snapshot(app)
        path = Path(directory) / "broken"
        path.write_bytes(content)
        try:
            report = import_file(app, adapter, path, close_missing=False)
        except ImportFileError as error:
            assert "Nichts wurde gespeichert" in str(error)
            assert snapshot(app) == before
            return
        # The file was still readable: whatever it rejected is named; nothing it did not list vanished.
        assert all(p.where and p.field and p.reason for p in report.rejected)
        assert len(snapshot(app)) >= len(before)


@SETTINGS
@given(sachsen_files())
def test_a_dry_run_of_any_file_stores_nothing(case: tuple[list[Any], dict[int, str]]) -> None:
    items, broken = case
    with fresh_app() as app, tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "schools.json"
        path.write_text(json.dumps(copy.deepcopy(items)), encoding="utf-8")
        report = import_file(app, SachsenAdapter(), path, dry_run=True)
        assert report.created == len(items) - len(broken)
        assert len(report.rejected) == len(broken)
        assert snapshot(app) == []


# --- explicit mapping files ---------------------------------------------------------------------

MAPPING_NETWORKS = ('[[networks]]\nslug = "kv-a"\nname = "KV A"\nregion = "sn-zwickau"\n'
                    '[[networks]]\nslug = "kv-b"\nname = "KV B"\nregion = "sn-zwickau"\n')
IDS = st.text(alphabet="abcxyz0123456789:-", min_size=1, max_size=10)
# Each breaks one line for certain and names the field the report must name.
LINE_BREAKAGES: dict[str, tuple[str, st.SearchStrategy[tuple[str, str]]]] = {
    "unknown school": ("school", IDS.filter(lambda t: t.rpartition(":")[2] not in {str(1000 + i) for i in range(8)})
                       .map(lambda t: (t, "kv-a"))),
    "unknown network": ("network", IDS.filter(lambda t: t not in {"kv-a", "kv-b"}).map(lambda t: ("1000", t))),
    "no school": ("school", st.just(("", "kv-a"))),
    "no network": ("network", st.just(("1000", ""))),
    "out of scope": ("school", st.just(("sachsen:1007", "kv-a"))),
}


@st.composite
def mapping_files(draw: st.DrawFn) -> tuple[list[tuple[str, str]], dict[int, str]]:
    """Lines (school, network) for schools 1000–1006, some broken; and {line number: field to name}."""
    count = draw(st.integers(min_value=1, max_value=7))
    lines, broken = [], {}
    for index in range(count):
        line_number = index + 2  # line 1 is the header
        if draw(st.booleans()):
            field, values = LINE_BREAKAGES[draw(st.sampled_from(sorted(LINE_BREAKAGES)))]
            lines.append(draw(values))
            broken[line_number] = field
        else:
            prefix = draw(st.sampled_from(["", "sachsen:"]))
            lines.append((f"{prefix}{1000 + index}", draw(st.sampled_from(["kv-a", "kv-b"]))))
    return lines, broken


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mapping_files())
def test_every_bad_mapping_line_is_named_and_then_nothing_is_assigned(
    case: tuple[list[tuple[str, str]], dict[int, str]],
) -> None:
    from verbund.services.importers.assignment import apply_rules, load_rules
    from verbund.services.importers.explicit import apply_mapping

    lines, broken = case
    saxon = [school(i) for i in range(8)]
    saxon[7]["inspectorate_key"] = "99"  # public, but not supervised by a LaSuB-Standort: out of scope
    with fresh_app() as app, tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        (folder / "schools.json").write_text(json.dumps(saxon), encoding="utf-8")
        (folder / "rules.toml").write_text(MAPPING_NETWORKS, encoding="utf-8")
        (folder / "map.csv").write_text("school;network\n" + "".join(f"{s};{n}\n" for s, n in lines), encoding="utf-8")
        import_file(app, SachsenAdapter(), folder / "schools.json")
        apply_rules(app, load_rules(folder / "rules.toml"))
        before = snapshot(app)

        report = apply_mapping(app, folder / "map.csv")

        with app.uow() as uow:
            assigned = uow.session.exec(select(Membership)).all()
        after = snapshot(app)
    assert {p.where: p.field for p in report.rejected} == {f"Zeile {n}": f for n, f in broken.items()}
    assert all(p.reason for p in report.rejected)
    if broken:
        assert not report.stored and assigned == [] and after == before
    else:
        assert report.stored and len(assigned) == len(lines) == report.assigned
