"""The four bundled templates, template features (order, recurrence, roles, partner kinds, Land),
the declared checks the new templates use, and malformed files failing with file, line, problem."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from verbund.domain.business_days import BusinessCalendar
from verbund.domain.criteria import (
    REGISTRY,
    SECTIONS,
    AgreementFact,
    DecisionFact,
    NetworkFacts,
    RoleFact,
    agreement_signed,
    decisions_adopted,
    roles_filled,
    steps_documented,
)
from verbund.domain.errors import TemplateError
from verbund.domain.process import load_template, load_template_file, template_keys

AT = dt.datetime(2020, 3, 2, 9, 0, tzinfo=dt.UTC)
KEYS = ["hessen-kooperationsverbund", "kommunale-koordinierung", "nrw-bildungsnetzwerk", "sachsen-inklusion"]


def test_the_four_templates_of_the_contract_are_bundled_and_load() -> None:
    assert template_keys() == KEYS
    for key in KEYS:
        assert load_template(key).key == key


def test_every_declared_check_has_sections_and_a_description_and_is_its_function() -> None:
    assert len(REGISTRY) >= 14
    for name, criterion in REGISTRY.items():
        assert criterion.name == name == criterion.function.__name__
        assert criterion.description.strip()
        assert set(criterion.sections) <= set(SECTIONS)


def test_the_docs_table_lists_every_declared_check_with_its_parameters() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "templates.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| ([^|]*) \|", docs, re.M)}
    assert set(rows) == set(REGISTRY)
    for name, criterion in REGISTRY.items():
        assert re.findall(r"`(\w+)`", rows[name]) == list(criterion.params), name


def test_every_facts_section_has_exactly_one_loader() -> None:
    from verbund.services.stages.facts import CYCLE_LOADERS, LOADERS

    assert sorted([*LOADERS, *CYCLE_LOADERS]) == sorted(SECTIONS)


def test_the_nrw_bildungskonferenz_recurs_every_year_and_the_rest_is_a_fixed_order() -> None:
    nrw = load_template("nrw-bildungsnetzwerk")

    assert nrw.state == "NW"
    assert nrw.fixed_order
    assert nrw.stage("bildungskonferenz").recurs_every_months == 12
    assert [s.name for s in nrw.stages if s.recurring] == ["bildungskonferenz", "bezirksbericht"]  # the report follows
    assert nrw.voters == "steering_committee"
    assert nrw.role_label("steering_committee") == "Lenkungskreis"
    assert nrw.role_label("guest") == "beratender Gast"


def test_the_hessen_work_areas_open_together_and_the_shared_goals_wait_for_all_four() -> None:
    hessen = load_template("hessen-kooperationsverbund")
    areas = ["unterstuetzung", "schulaufsicht", "service", "interne-leistungen"]

    assert hessen.state == "HE"
    assert not hessen.fixed_order
    assert [s.name for s in hessen.successors("verbund")] == areas
    assert [s.name for s in hessen.prerequisites("gemeinsame-ziele")] == areas
    for area in areas:
        assert hessen.stage(area).after == ("verbund",)
    assert set(hessen.partner_kinds) == {"school_authority", "other"}


def test_the_kommunale_koordinierung_knows_its_partner_kinds_and_starts_two_stages_at_once() -> None:
    kako = load_template("kommunale-koordinierung")

    assert kako.stage("partner").after == () and kako.stage("steuerungsgruppe").after == ()
    assert kako.stage("vereinbarung").after == ("partner", "steuerungsgruppe")
    assert kako.kind_label("vocational_school") == "Berufskolleg"
    assert {"employment_agency", "vocational_school", "education_provider", "company",
            "business_association", "public_school"} <= set(kako.partner_kinds)


def test_the_saxon_template_keeps_its_defaults() -> None:
    saxon = load_template("sachsen-inklusion")

    assert saxon.fixed_order
    assert saxon.voters == "member"
    assert not any(s.recurring for s in saxon.stages)


@pytest.mark.parametrize(
    ("state", "due"),
    [
        # 10 business days from Wednesday 2020-06-03: Fronleichnam (11.06.) is a holiday in NW and HE,
        # not in SN
        ("SN", dt.date(2020, 6, 17)),
        ("NW", dt.date(2020, 6, 18)),
        ("HE", dt.date(2020, 6, 18)),
    ],
)
def test_due_dates_count_the_holidays_of_the_land(state: str, due: dt.date) -> None:
    assert BusinessCalendar(state).add_business_days(dt.date(2020, 6, 3), 10) == due


def test_the_templates_declare_the_land_whose_holidays_count() -> None:
    assert {key: load_template(key).state for key in KEYS} == {
        "hessen-kooperationsverbund": "HE", "kommunale-koordinierung": "NW",
        "nrw-bildungsnetzwerk": "NW", "sachsen-inklusion": "SN",
    }


# --- declared checks ------------------------------------------------------------------------------

def facts(**sections: object) -> NetworkFacts:
    return NetworkFacts(network="n", state="NW", at=AT, **sections)  # type: ignore[arg-type]


def test_roles_filled_counts_members_of_the_role_and_names_missing_kinds() -> None:
    roles = [RoleFact("Bezirksregierung", "school_authority", "steering_committee"),
             RoleFact("Agentur", "employment_agency", "guest")]
    params = {"role": "steering_committee", "title": "Lenkungskreis", "kinds": ["school_authority", "school_board"],
              "minimum": 2}

    unmet = roles_filled(facts(roles=roles), params)

    assert unmet == ["Rolle Lenkungskreis: 1 statt mindestens 2 Mitglieder",
                     "Rolle Lenkungskreis: es fehlen Schulträger"]
    roles.append(RoleFact("Kreis", "school_board", "steering_committee"))
    assert roles_filled(facts(roles=roles), params) == []


def test_agreement_signed_needs_a_signature_by_now_parties_and_the_asked_contents() -> None:
    params = {"title": "Kooperationsvertrag", "min_parties": 2, "with_fields_of_action": True,
              "with_responsibilities": True}
    unsigned = ["Kooperationsvertrag: noch keine unterzeichnete Vereinbarung"]
    assert agreement_signed(facts(agreements=[]), params) == unsigned
    later = AgreementFact("V", ("Land", "Kommune"), dt.date(2020, 3, 3), ("Inklusion",), ())
    assert agreement_signed(facts(agreements=[later]), params)[0].endswith("noch keine unterzeichnete Vereinbarung")

    thin = AgreementFact("V", ("Land",), dt.date(2020, 3, 1), (), ({"task": "Praktika", "implements": "Kammer"},))
    unmet = agreement_signed(facts(agreements=[thin]), params)
    assert "V: 1 statt mindestens 2 Vertragsparteien" in unmet
    assert "V: keine vereinbarten Handlungsfelder" in unmet
    assert "V: ohne Umsetzung und Qualitätssicherung: Praktika" in unmet

    full = AgreementFact("V", ("Land", "Kommune"), dt.date(2020, 3, 1), ("Inklusion",),
                         ({"task": "Praktika", "implements": "Kammer", "checks_quality": "Kreis"},))
    assert agreement_signed(facts(agreements=[full]), params) == []


def test_decisions_adopted_counts_only_adopted_ones_of_the_kind_and_says_why_others_failed() -> None:
    decisions = [
        DecisionFact("field_of_action", "Ganztag", False, "nicht beschlossen: Einwand von Jugendamt"),
        DecisionFact("field_of_action", "Inklusion", True, "im Konsens beschlossen"),
        DecisionFact("work_plan", "Plan", True, "im Konsens beschlossen"),
    ]
    params = {"kind": "field_of_action", "title": "Handlungsfelder", "minimum": 2}

    unmet = decisions_adopted(facts(decisions=decisions), params)

    assert unmet == ["Handlungsfelder: 1 von mindestens 2 im Konsens beschlossen; nicht beschlossen: "
                     "Ganztag (nicht beschlossen: Einwand von Jugendamt)"]
    assert decisions_adopted(facts(decisions=decisions), {**params, "minimum": 1}) == []


def test_steps_documented_names_the_missing_steps_and_the_cycle() -> None:
    params = {"steps": ["prepared", "held", "documented"], "titles": ["vorbereitet", "durchgeführt"]}
    evidence = {"prepared": "Programm"}

    first = steps_documented(facts(evidence=evidence), params)
    second = steps_documented(NetworkFacts(network="n", state="NW", at=AT, cycle=2, evidence=evidence), params)

    assert first == ["noch nicht dokumentiert: durchgeführt, documented"]
    assert second == ["noch nicht dokumentiert (Durchlauf 2): durchgeführt, documented"]
    assert steps_documented(facts(evidence=dict.fromkeys(params["steps"], "")), params) == []


# --- malformed files: file, line, problem ---------------------------------------------------------

GOOD = """\
key = "probe"
name = "Probe"
state = "NW"

[roles]
member = "Mitglied"
steering_committee = "Lenkungskreis"

[[stages]]
name = "a"
title = "A"
due_business_days = 5

[[stages.checks]]
check = "steps_documented"
steps = ["x"]

[[stages]]
name = "b"
title = "B"
due_business_days = 5
after = ["a"]
recurs_every_months = 12

[[stages.checks]]
check = "roles_filled"
role = "steering_committee"
kinds = ["school_board"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "probe.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, old: str, new: str) -> str:
    assert old in GOOD
    with pytest.raises(TemplateError) as caught:
        load_template_file(write(tmp_path, GOOD.replace(old, new, 1)))
    return str(caught.value)


def test_the_probe_template_is_valid(tmp_path: Path) -> None:
    template = load_template_file(write(tmp_path, GOOD))

    assert template.stage("b").recurring
    assert template.roles == {"member": "Mitglied", "steering_committee": "Lenkungskreis"}


@pytest.mark.parametrize(
    ("old", "new", "line", "problem"),
    [
        ('check = "roles_filled"', 'check = "roles_complete"', 26, "unbekannte Prüfung 'roles_complete'"),
        ('steps = ["x"]', 'stepz = ["x"]', 16, "kennt den Parameter 'stepz' nicht"),
        ('steps = ["x"]', "steps = 3", 16, "'steps' muss Liste von Texten sein"),
        ('after = ["a"]', 'after = ["c"]', 22, "'after' nennt 'c', das ist keine frühere Stufe"),
        ("recurs_every_months = 12", "recurs_every_months = 0", 23, "'recurs_every_months' muss eine ganze Zahl"),
        ('kinds = ["school_board"]', 'kinds = ["schulträger"]', 28, "Partnerart 'schulträger' steht nicht in"),
        ('role = "steering_committee"', 'role = "coordinator"', 27, "Rolle 'coordinator' steht nicht in [roles]"),
        ('state = "NW"', 'state = "XY"', 3, "'state' muss ein Land sein"),
        ('member = "Mitglied"', 'chair = "Vorsitz"', 6, "'chair' ist keine bekannte Rolle"),
        ("due_business_days = 5\nafter", "due_business_days = 0\nafter", 21, "'due_business_days' muss ≥ 1 sein"),
        ('title = "B"', 'title = "B"\ncolour = "blau"', 21, "unbekannter Schlüssel 'colour'"),
    ],
)
def test_a_malformed_template_names_the_file_the_line_and_the_problem(
    tmp_path: Path, old: str, new: str, line: int, problem: str
) -> None:
    message = refused(tmp_path, old, new)

    assert message.startswith(f"{tmp_path / 'probe.toml'}:{line}:"), message
    assert problem in message


def test_a_missing_key_points_at_its_stage_header(tmp_path: Path) -> None:
    message = refused(tmp_path, 'title = "B"\n', "")

    assert message.startswith(f"{tmp_path / 'probe.toml'}:18:")
    assert "Schlüssel 'title' fehlt" in message


def test_broken_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    message = refused(tmp_path, '[[stages]]\nname = "b"', '[[stages]\nname = "b"')

    assert str(tmp_path / "probe.toml") in message
    assert "line 18" in message
