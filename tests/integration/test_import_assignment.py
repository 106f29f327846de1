"""Assigning imported schools to networks (rules, overrides, suggestions), coverage and the
Förderschwerpunkt matrix, and the analysis stage's exit criterion that rests on coverage."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from verbund.domain.errors import InvalidInput
from verbund.domain.models import Membership, MembershipRole, Network, Organisation
from verbund.domain.schools import FOCI, distance_km
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import ManualClock
from verbund.services.importers import NrwAdapter, SachsenAdapter, import_file
from verbund.services.importers.assignment import apply_rules, assign_school, load_rules, suggestions
from verbund.services.importers.coverage import coverage_report, foci_matrix

SHARED_DATA = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
ZWICKAU = SHARED_DATA / "sachsen" / "schuldatenbank_api_2021-02_zwickau.json"
ARNSBERG = SHARED_DATA / "nrw" / "schuldaten_arnsberg_excerpt.csv"

pytestmark = pytest.mark.skipif(
    not (ZWICKAU.exists() and ARNSBERG.exists()),
    reason=f"real school data not found under {SHARED_DATA} (set VERBUND_SHARED_DATA)",
)

NETWORK = """
[[networks]]
slug = "{slug}"
name = "{name}"
region = "{region}"
{template}
{keys}
"""


def rules(tmp_path: Path, *networks: tuple[str, str, str], template: str | None = None) -> Path:
    """``(slug, region, TOML lines with kreise/communities/schools)`` → a rules file (no template
    line unless given: the Land's default)."""
    line = f'template = "{template}"' if template else ""
    text = "".join(NETWORK.format(slug=slug, name=slug.upper(), region=region, template=line, keys=keys)
                   for slug, region, keys in networks)
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def region_row(app: App, slug: str) -> dict[str, Any]:
    return next(r for r in coverage_report(app)["regions"] if r["slug"] == slug)


def network_of(app: App, source_id: str) -> set[str]:
    with app.uow() as uow:
        rows = uow.session.exec(
            select(Network.slug).join(Membership, Membership.network_id == Network.id)  # type: ignore[arg-type]
            .join(Organisation, Membership.organisation_id == Organisation.id)  # type: ignore[arg-type]
            .where(Organisation.source_id == source_id, Membership.valid_to == None)  # noqa: E711
        ).all()
    return set(rows)


def zwickau_by_kreis(tmp_path: Path) -> Path:
    return rules(tmp_path, ("kv-vogtland", "sn-zwickau", 'kreise = ["14523"]'),
                 ("kv-zwickau-land", "sn-zwickau", 'kreise = ["14524"]'))


def test_rules_by_kreis_assign_every_public_school_of_zwickau_exactly_once(app: App, tmp_path: Path) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)

    report = apply_rules(app, load_rules(zwickau_by_kreis(tmp_path)))

    raw = json.loads(ZWICKAU.read_text(encoding="utf-8"))
    assert report.assigned == 189 and report.conflicts == [] and report.unmatched == 0
    row = region_row(app, "sn-zwickau")
    assert (row["schools_in_scope"], row["assigned"], row["unassigned"], row["assigned_twice"]) == (189, 189, 0, 0)
    state = next(s for s in coverage_report(app)["states"] if s["state"] == "SN")
    assert state["assigned"] == 189
    goethe = next(x for x in raw if x["id"] == 1003)  # Auerbach/Vogtl., community key 14523020
    assert network_of(app, str(goethe["id"])) == {"kv-vogtland"}
    again = apply_rules(app, load_rules(zwickau_by_kreis(tmp_path)))
    assert (again.assigned, again.unchanged) == (0, 189)


def test_a_municipality_list_wins_over_the_kreis_and_overlapping_lists_are_conflicts(
    app: App, tmp_path: Path
) -> None:
    import_file(app, NrwAdapter(), ARNSBERG)
    path = rules(tmp_path, ("rbn-maerkischer-kreis", "nw-maerkischer-kreis", 'kreise = ["05962"]'),
                 ("rbn-lenne", "nw-maerkischer-kreis", 'communities = ["05962032", "05962004"]'),
                 ("rbn-altena", "nw-maerkischer-kreis", 'communities = ["05962004"]'),
                 )

    report = apply_rules(app, load_rules(path))

    # 05962004 is claimed by two lists at the same level: a conflict, nobody assigns it.
    assert [c["reason"] for c in report.conflicts] == ["Gemeinde: rbn-lenne, rbn-altena"]
    with app.uow() as uow:
        schools = uow.session.exec(select(Organisation).where(Organisation.source == "nrw")).all()
    for school in schools:
        if not school.in_scope or not (school.community_key or "").startswith("05962"):
            continue
        expected = {"05962032": {"rbn-lenne"}, "05962004": set()}.get(school.community_key or "",
                                                                      {"rbn-maerkischer-kreis"})
        assert network_of(app, school.source_id) == expected, school.community_key
    row = region_row(app, "nw-maerkischer-kreis")
    assert row["unassigned"] == 1 and row["assigned"] == row["schools_in_scope"] - 1


def test_an_explicit_school_list_wins_over_municipality_and_kreis(app: App, tmp_path: Path) -> None:
    import_file(app, NrwAdapter(), ARNSBERG)
    path = rules(tmp_path, ("rbn-bochum", "nw-bochum", 'kreise = ["05911"]'),
                 ("rbn-bochum-mitte", "nw-bochum", 'schools = ["100048", "nrw:128480"]'),
                 )

    report = apply_rules(app, load_rules(path))

    assert network_of(app, "100048") == {"rbn-bochum-mitte"}
    assert network_of(app, "128480") == {"rbn-bochum-mitte"}
    assert report.assigned == region_row(app, "nw-bochum")["schools_in_scope"]
    assert region_row(app, "nw-bochum")["unassigned"] == 0


def test_a_manual_override_survives_reimports_and_rule_runs(app: App, clock: ManualClock, tmp_path: Path) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)
    path = zwickau_by_kreis(tmp_path)
    apply_rules(app, load_rules(path))
    assert network_of(app, "1003") == {"kv-vogtland"}
    clock.advance(dt.timedelta(days=1))

    moved = assign_school(app, "sachsen:1003", "kv-zwickau-land", by="po@example.org", reason="Schulweg")
    clock.advance(dt.timedelta(days=1))
    import_file(app, SachsenAdapter(), ZWICKAU)
    rerun = apply_rules(app, load_rules(path))

    assert moved == {"school": "sachsen:1003", "network": "kv-zwickau-land", "ended": 1, "changed": True}
    assert network_of(app, "1003") == {"kv-zwickau-land"}
    assert rerun.kept == 1 and rerun.assigned == 0
    assert region_row(app, "sn-zwickau")["assigned"] == 189


def test_a_manual_override_needs_a_school_to_assign_in_the_networks_region(app: App, tmp_path: Path) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)
    import_file(app, NrwAdapter(), ARNSBERG)
    apply_rules(app, load_rules(zwickau_by_kreis(tmp_path)))
    out = next(o["source_id"] for o in coverage_report(app)["out_of_scope"] if o["region"] == "sn-zwickau")

    with pytest.raises(InvalidInput, match="keine zuzuordnende"):
        assign_school(app, f"sachsen:{out}", "kv-vogtland", by="po@example.org")
    with pytest.raises(InvalidInput, match="nicht in der Region"):
        assign_school(app, "nrw:100048", "kv-vogtland", by="po@example.org")


def test_a_second_open_assignment_is_impossible_by_constraint(app: App, tmp_path: Path) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)
    apply_rules(app, load_rules(zwickau_by_kreis(tmp_path)))

    with app.uow(write=True) as uow, pytest.raises(IntegrityError):
        school = uow.session.exec(select(Organisation).where(Organisation.source_id == "1003")).one()
        other = uow.session.exec(select(Network).where(Network.slug == "kv-zwickau-land")).one()
        uow.session.add(Membership(network_id=other.id, organisation_id=school.id, role=MembershipRole.member,
                                   valid_from=app.now(), exclusive=True))
        uow.session.flush()


def test_a_school_in_two_networks_by_plain_membership_is_counted_and_blocks_the_analysis(
    app: App, tmp_path: Path
) -> None:
    from verbund.services.stages.lifecycle import show_stage

    import_file(app, SachsenAdapter(), ZWICKAU)
    apply_rules(app, load_rules(zwickau_by_kreis(tmp_path)))
    assert not [u for u in show_stage(app, "kv-vogtland", "analysis")["unmet"] if "Verbünden" in u]

    with app.uow(write=True) as uow:
        school = uow.session.exec(select(Organisation).where(Organisation.source_id == "1003")).one()
        other = uow.session.exec(select(Network).where(Network.slug == "kv-zwickau-land")).one()
        uow.session.add(Membership(network_id=other.id, organisation_id=school.id, role=MembershipRole.member,
                                   valid_from=app.now()))
        uow.commit()

    assert region_row(app, "sn-zwickau")["assigned_twice"] == 1
    unmet = show_stage(app, "kv-vogtland", "analysis")["unmet"]
    assert any("1 Schule mehreren Verbünden zugeordnet" in u for u in unmet)


def test_the_analysis_exit_criterion_follows_the_imported_coverage(app: App, clock: ManualClock,
                                                                    tmp_path: Path) -> None:
    from verbund.services.stages.lifecycle import show_stage

    import_file(app, SachsenAdapter(), ZWICKAU)
    apply_rules(app, load_rules(rules(tmp_path, ("kv-zwickau-land", "sn-zwickau", 'kreise = ["14524"]'))))

    unmet = show_stage(app, "kv-zwickau-land", "analysis")["unmet"]
    assert any(u.startswith("86 von 189 öffentlichen Schulen") for u in unmet), unmet

    raw = json.loads(ZWICKAU.read_text(encoding="utf-8"))
    zwickau_only = [x for x in raw if not any((b.get("community_key") or "").startswith("14523")
                                              for b in x["buildings"])]
    later = tmp_path / "later.json"
    later.write_text(json.dumps(zwickau_only), encoding="utf-8")
    clock.advance(dt.timedelta(days=7))
    report = import_file(app, SachsenAdapter(), later)

    assert report.closed >= 86
    unmet = show_stage(app, "kv-zwickau-land", "analysis")["unmet"]
    assert not [u for u in unmet if "öffentlichen Schulen" in u], unmet


def test_suggestions_name_the_network_with_the_nearest_member_school(app: App, tmp_path: Path) -> None:
    import_file(app, NrwAdapter(), ARNSBERG)
    apply_rules(app, load_rules(rules(
        tmp_path, ("rbn-bochum-a", "nw-bochum", 'schools = ["100048"]'),
        ("rbn-bochum-b", "nw-bochum", 'schools = ["128480"]'))))

    data = suggestions(app, "nw-bochum")["suggestions"]

    with app.uow() as uow:
        located = {o.source_id: (o.latitude, o.longitude) for o in uow.session.exec(
            select(Organisation).where(Organisation.source == "nrw")).all()}
    a, b = located["100048"], located["128480"]
    assert len(data) == region_row(app, "nw-bochum")["unassigned"] > 0
    for entry in data:
        lat, lon = located[entry["source_id"]]
        assert lat is not None and lon is not None and None not in (*a, *b)
        to_a, to_b = distance_km(lat, lon, *a), distance_km(lat, lon, *b)  # type: ignore[arg-type]
        assert entry["network"] == ("rbn-bochum-a" if to_a <= to_b else "rbn-bochum-b")
        assert entry["distance_km"] == pytest.approx(min(to_a, to_b), abs=0.01)
    assert [e["distance_km"] for e in data] == sorted(e["distance_km"] for e in data)


def test_schools_without_coordinates_get_no_suggestion_but_a_reason(app: App, tmp_path: Path) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)
    apply_rules(app, load_rules(rules(tmp_path, ("kv-zwickau-land", "sn-zwickau", 'kreise = ["14524"]'))))

    data = suggestions(app, "sn-zwickau")["suggestions"]

    assert len(data) == 86
    assert {(e["network"], e["reason"]) for e in data} == {(None, "Schule ohne Koordinaten")}


def test_the_foci_matrix_shows_offers_and_the_largest_distance_to_them(app: App, tmp_path: Path) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)
    import_file(app, NrwAdapter(), ARNSBERG)
    apply_rules(app, load_rules(zwickau_by_kreis(tmp_path)))
    apply_rules(app, load_rules(rules(tmp_path, ("rbn-hamm", "nw-hamm", 'kreise = ["05915"]'),
                                      )))

    matrix = {n["slug"]: n["foci"] for n in foci_matrix(app)["networks"]}

    with app.uow() as uow:
        orgs = uow.session.exec(select(Organisation)).all()
    vogtland = [o for o in orgs if (o.community_key or "").startswith("14523") and o.in_scope]
    for row in matrix["kv-vogtland"]:
        offering = sorted(o.name for o in vogtland if row["focus"] in o.special_needs)
        assert row["schools"] == offering
        assert row["offered"] == bool(offering)
        assert row["offer"] == ("foerderschule" if offering else None)
        assert row["max_distance_km"] is None  # the Saxon API has no coordinates
    assert [row["focus"] for row in matrix["kv-vogtland"]] == list(FOCI)

    hamm = [o for o in orgs if (o.community_key or "").startswith("05915") and o.in_scope]
    for row in matrix["rbn-hamm"]:
        offering_hamm = [o for o in hamm if row["focus"] in o.special_needs]
        if not offering_hamm:
            assert row["max_distance_km"] is None and not row["offered"]
            continue
        expected = max(min(distance_km(s.latitude, s.longitude, t.latitude, t.longitude)  # type: ignore[arg-type]
                           for t in offering_hamm) for s in hamm)
        assert row["max_distance_km"] == pytest.approx(expected, abs=0.01)


def test_rules_give_new_networks_their_lands_template_unless_one_is_named(app: App, tmp_path: Path) -> None:
    import_file(app, SachsenAdapter(), ZWICKAU)
    import_file(app, NrwAdapter(), ARNSBERG)
    apply_rules(app, load_rules(rules(tmp_path, ("kv-vogtland", "sn-zwickau", 'kreise = ["14523"]'),
                                      ("rbn-bochum", "nw-bochum", 'kreise = ["05911"]'))))
    apply_rules(app, load_rules(rules(tmp_path, ("kk-hamm", "nw-hamm", 'kreise = ["05915"]'),
                                      template="kommunale-koordinierung")))

    with app.uow() as uow:
        templates = dict(uow.session.exec(select(Network.slug, Network.template)).all())
    assert templates == {"kv-vogtland": "sachsen-inklusion", "rbn-bochum": "nrw-bildungsnetzwerk",
                         "kk-hamm": "kommunale-koordinierung"}


def test_a_rule_naming_another_lands_template_is_refused_and_changes_nothing(app: App, tmp_path: Path) -> None:
    import_file(app, NrwAdapter(), ARNSBERG)
    path = rules(tmp_path, ("rbn-bochum", "nw-bochum", 'kreise = ["05911"]'), template="sachsen-inklusion")

    with pytest.raises(InvalidInput, match=r"Vorlage 'sachsen-inklusion' ist für SN.*nw-bochum.*NW"):
        apply_rules(app, load_rules(path))

    with app.uow() as uow:
        assert uow.session.exec(select(Network)).all() == []
    assert region_row(app, "nw-bochum")["assigned"] == 0


def test_a_guest_in_a_second_network_is_not_assigned_twice_for_coverage_or_the_analysis(
    app: App, tmp_path: Path
) -> None:
    from verbund.services.stages.lifecycle import show_stage

    import_file(app, SachsenAdapter(), ZWICKAU)
    apply_rules(app, load_rules(zwickau_by_kreis(tmp_path)))
    with app.uow(write=True) as uow:
        school = uow.session.exec(select(Organisation).where(Organisation.source_id == "1003")).one()
        other = uow.session.exec(select(Network).where(Network.slug == "kv-zwickau-land")).one()
        uow.session.add(Membership(network_id=other.id, organisation_id=school.id, role=MembershipRole.guest,
                                   valid_from=app.now()))
        uow.commit()

    row = region_row(app, "sn-zwickau")
    assert (row["assigned"], row["assigned_twice"], row["unassigned"]) == (189, 0, 0)
    for network in ("kv-vogtland", "kv-zwickau-land"):
        unmet = show_stage(app, network, "analysis")["unmet"]
        assert not [u for u in unmet if "öffentlichen Schulen" in u or "mehreren Verbünden" in u], unmet
