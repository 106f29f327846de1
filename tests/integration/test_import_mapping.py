"""An explicit mapping file (school → network): every school of a region assigned by list, every bad
line named, the whole file in one transaction, manual overrides kept."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from verbund.domain.models import Membership, Network, Organisation
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import ManualClock
from verbund.services.importers import ImportFileError, MappedCsvAdapter, SachsenAdapter, import_file, load_mapping
from verbund.services.importers.assignment import apply_rules, assign_school, load_rules
from verbund.services.importers.coverage import coverage_report
from verbund.services.importers.explicit import apply_mapping

SHARED_DATA = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
ZWICKAU = SHARED_DATA / "sachsen" / "schuldatenbank_api_2021-02_zwickau.json"
needs_shared_data = pytest.mark.skipif(
    not ZWICKAU.exists(), reason=f"real school data not found at {ZWICKAU} (set VERBUND_SHARED_DATA)"
)
NETWORKS = """
[[networks]]
slug = "kv-vogtland"
name = "Kooperationsverbund Vogtland"
region = "sn-zwickau"

[[networks]]
slug = "kv-zwickau-land"
name = "Kooperationsverbund Landkreis Zwickau"
region = "sn-zwickau"
"""


def create_networks(app: App, tmp_path: Path, text: str = NETWORKS) -> None:
    """Rules without keys: the networks exist, nobody is assigned."""
    path = tmp_path / "networks.toml"
    path.write_text(text, encoding="utf-8")
    assert apply_rules(app, load_rules(path)).assigned == 0


def write(tmp_path: Path, text: str, name: str = "zuordnung.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def zwickau_row(app: App) -> dict[str, Any]:
    return next(r for r in coverage_report(app)["regions"] if r["slug"] == "sn-zwickau")


def memberships(app: App) -> list[tuple[str, str, str | None]]:
    with app.uow() as uow:
        rows = uow.session.exec(
            select(Organisation.source_id, Network.slug, Membership.basis)
            .join(Membership, col(Membership.organisation_id) == col(Organisation.id))
            .join(Network, col(Network.id) == col(Membership.network_id))
            .where(col(Membership.valid_to).is_(None))
        ).all()
    return sorted((str(a), b, c) for a, b, c in rows)


def zwickau_mapping(tmp_path: Path) -> Path:
    """Every public school in scope → its network by Kreis, half of them written as SOURCE:ID."""
    raw = json.loads(ZWICKAU.read_text(encoding="utf-8"))
    lines = ["sep=;", "school;network"]
    for index, item in enumerate(raw):
        keys = {(b.get("community_key") or "")[:5] for b in item["buildings"]}
        network = "kv-vogtland" if "14523" in keys else "kv-zwickau-land"
        lines.append(f"{'sachsen:' if index % 2 else ''}{item['id']};{network}")
    return write(tmp_path, "\n".join(lines) + "\n")


@needs_shared_data
def test_a_mapping_file_assigns_every_listed_school_and_a_second_run_changes_nothing(
    app: App, tmp_path: Path
) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)
    create_networks(app, tmp_path)
    path = zwickau_mapping(tmp_path)

    # The excerpt also lists out-of-scope and private institutions: those lines are bad, nothing is stored.
    refused = apply_mapping(app, path)
    assert refused.rejected and not refused.stored and memberships(app) == []
    assert all(p.where.startswith("Zeile ") and p.field == "school" for p in refused.rejected)
    assert zwickau_row(app)["assigned"] == 0

    with app.uow() as uow:
        in_scope = {o.source_id for o in uow.session.exec(select(Organisation).where(
            col(Organisation.in_scope).is_(True), Organisation.kind == "public_school")).all()}
    kept_lines = [line for line in path.read_text(encoding="utf-8").splitlines()[2:]
                  if line.split(";")[0].removeprefix("sachsen:") in in_scope]
    clean = write(tmp_path, "school,network\n" + "\n".join(line.replace(";", ",") for line in kept_lines) + "\n",
                  "sauber.csv")
    report = apply_mapping(app, clean, by="po@example.org")

    assert (report.assigned, report.rejected, report.stored) == (189, [], True)
    row = zwickau_row(app)
    assert (row["schools_in_scope"], row["assigned"], row["unassigned"], row["assigned_twice"]) == (189, 189, 0, 0)
    bases = sorted(int(m[2].removeprefix("Zuordnungsdatei sauber.csv, Zeile ")) for m in memberships(app) if m[2])
    assert bases == list(range(2, 191))
    assert [m[1] for m in memberships(app) if m[0] == "1003"] == ["kv-vogtland"]  # Auerbach/Vogtl.
    again = apply_mapping(app, clean)
    assert (again.assigned, again.unchanged, again.kept) == (0, 189, 0)


def small_setup(app: App, tmp_path: Path) -> None:
    """Three Saxon institutions (two public in scope, one under other supervision), one Hessian school
    with the same id 1 as a Saxon one, and a network in each region."""
    def school(number: int, inspectorate: str = "05") -> dict[str, Any]:
        return {"id": number, "legal_status_key": "01", "inspectorate_key": inspectorate,
                "school_category_key": "10",
                "buildings": [{"building_type_key": "01", "name": f"Grundschule {number}",
                               "community_key": "14524330", "school_type_keys": [11]}]}

    saxon = write(tmp_path, json.dumps([school(1), school(2), school(3, "99")]), "sachsen.json")
    assert import_file(app, SachsenAdapter(), saxon).created == 3
    data = write(tmp_path, "Nr;Name;Amt\n1;Grundschule Nord;KS\n", "hessen.csv")
    mapping = write(tmp_path, 'source = "he-test"\nstate = "HE"\n[columns]\nid = "Nr"\nname = "Name"\n'
                              'region = "Amt"\n[regions.KS]\nslug = "he-kassel"\nname = "Schulamt Kassel"\n',
                    "mapping.toml")
    assert import_file(app, MappedCsvAdapter(load_mapping(mapping)), data).created == 1
    create_networks(app, tmp_path, NETWORKS + '\n[[networks]]\nslug = "kv-kassel"\nname = "KV Kassel"\n'
                                              'region = "he-kassel"\n')


def test_every_bad_line_is_named_with_line_and_field_and_nothing_is_assigned(app: App, tmp_path: Path) -> None:
    small_setup(app, tmp_path)
    path = write(tmp_path, "\n".join([
        "sep=;",
        "Schule;Verbund",
        "sachsen:2;kv-vogtland",        # 3: fine on its own
        "sachsen:77;kv-vogtland",       # 4: unknown school
        "sachsen:2;kv-nirgendwo",       # 5: unknown network
        "sachsen:3;kv-vogtland",        # 6: public but under other supervision
        "he-test:1;kv-vogtland",        # 7: a Hessian school in a Saxon network
        "1;kv-vogtland",                # 8: id 1 exists in two sources
        "sachsen:2;",                   # 9: no network
        "",                             # an empty line is no line
        "sachsen:2;kv-zwickau-land",    # 11: contradicts line 3
        "sachsen:2;kv-vogtland",        # 12: repeats line 3 (a note, not an error)
    ]) + "\n")

    report = apply_mapping(app, path)

    assert [(p.where, p.field) for p in report.rejected] == [
        ("Zeile 4", "school"), ("Zeile 5", "network"), ("Zeile 6", "school"), ("Zeile 7", "network"),
        ("Zeile 8", "school"), ("Zeile 9", "Verbund"), ("Zeile 11", "network")]
    reasons = {p.where: p.reason for p in report.rejected}
    assert "nicht gefunden" in reasons["Zeile 4"] and "'kv-nirgendwo' gibt es nicht" in reasons["Zeile 5"]
    assert "keine zuzuordnende" in reasons["Zeile 6"] and "nicht in der Region" in reasons["Zeile 7"]
    assert "he-test:1, sachsen:1" in reasons["Zeile 8"] and "Zeile 3" in reasons["Zeile 11"]
    assert [(n.where, n.reason) for n in report.notes] == [("Zeile 12", "wiederholt Zeile 3")]
    assert report.assigned == 1 and not report.stored
    assert memberships(app) == []  # the one good line was not stored either


def test_a_dry_run_counts_and_stores_nothing_and_the_real_run_names_file_and_line(app: App, tmp_path: Path) -> None:
    small_setup(app, tmp_path)
    path = write(tmp_path, "school,network\nsachsen:1,kv-vogtland\nsachsen:2,kv-zwickau-land\nhe-test:1,kv-kassel\n")

    dry = apply_mapping(app, path, dry_run=True)
    assert (dry.assigned, dry.stored, dry.dry_run) == (3, False, True) and memberships(app) == []

    report = apply_mapping(app, path)
    assert report.to_dict() == {"assigned": 3, "unchanged": 0, "kept": 0, "skipped": 0, "rejected": [],
                                "notes": [], "stored": True, "dry_run": False}
    assert memberships(app) == [("1", "kv-kassel", "Zuordnungsdatei zuordnung.csv, Zeile 4"),
                                ("1", "kv-vogtland", "Zuordnungsdatei zuordnung.csv, Zeile 2"),
                                ("2", "kv-zwickau-land", "Zuordnungsdatei zuordnung.csv, Zeile 3")]


def test_manual_overrides_are_kept_and_closed_schools_skipped(app: App, clock: ManualClock, tmp_path: Path) -> None:
    small_setup(app, tmp_path)
    assign_school(app, "sachsen:1", "kv-zwickau-land", by="po@example.org", reason="Schulweg")
    clock.advance(dt.timedelta(days=1))
    # A later delivery no longer lists school 2: it is closed.
    later = write(tmp_path, json.dumps([{"id": 1, "legal_status_key": "01", "inspectorate_key": "05",
                                         "school_category_key": "10", "buildings": [{
                                             "building_type_key": "01", "name": "Grundschule 1",
                                             "community_key": "14524330", "school_type_keys": [11]}]}]),
                  "later.json")
    assert import_file(app, SachsenAdapter(), later).closed == 1
    clock.advance(dt.timedelta(days=1))
    path = write(tmp_path, "school;network\nsachsen:1;kv-vogtland\nsachsen:2;kv-vogtland\n")

    report = apply_mapping(app, path)

    assert (report.assigned, report.kept, report.skipped, report.rejected, report.stored) == (0, 1, 1, [], True)
    assert [(n.where, n.field) for n in report.notes] == [("Zeile 2", "school"), ("Zeile 3", "school")]
    assert "bleibt dort" in report.notes[0].reason and "geschlossen" in report.notes[1].reason
    assert [m[:2] for m in memberships(app)] == [("1", "kv-zwickau-land")]


@pytest.mark.parametrize(("text", "where"), [
    ("", "Zeile 1"),
    ("Nummer;Netz\n1;kv-vogtland\n", "Kopfzeile"),
    ('school;network\n"1;kv-vogtland\n', "Zeile"),
])
def test_a_malformed_mapping_file_fails_as_a_whole(app: App, tmp_path: Path, text: str, where: str) -> None:
    small_setup(app, tmp_path)
    with pytest.raises(ImportFileError) as error:
        apply_mapping(app, write(tmp_path, text))
    assert "zuordnung.csv" in str(error.value) and where in str(error.value)
    assert "Nichts wurde gespeichert" in str(error.value)
    assert memberships(app) == []
