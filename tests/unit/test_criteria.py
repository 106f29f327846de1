"""Exit checks over a NetworkFacts snapshot: each check met and unmet, and the Saxon stages end to end."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from verbund.domain.criteria import (
    REGISTRY,
    SECTIONS,
    ConsultationFact,
    CoverageFact,
    GoalFact,
    MemberFact,
    NetworkFacts,
    PotentialFact,
    ProtocolFact,
    analysis_complete,
    check_names,
    consultation_held_with_quorum,
    consultation_invited_ahead,
    goals_confirmed,
    goals_well_formed,
    potentials_per_area,
    protocol_published,
    recommendations_tracked,
    required_partners,
    schools_covered,
    sections_for,
    unmet_criteria,
)
from verbund.domain.models import KIND_LABELS
from verbund.domain.process import ProcessTemplate, load_template
from verbund.domain.work import AREA_LABELS, content_hash

BERLIN = ZoneInfo("Europe/Berlin")
AT = dt.datetime(2019, 12, 2, 9, 0, tzinfo=BERLIN)
PARTNER_KINDS = ["school_board", "youth_welfare", "social_welfare", "student_transport"]
CATEGORIES = ["conditions", "actors", "responsibilities", "cooperation_structures"]
AREAS = ["communication", "special_offers", "process_steering"]

MEMBERS = [
    MemberFact("org-gs-weinhuebel", "Grundschule Weinhübel", "public_school"),
    MemberFact("org-os-rauschwalde", "Oberschule Rauschwalde", "public_school"),
    MemberFact("org-lk-goerlitz", "Landkreis Görlitz", "school_board"),
    MemberFact("org-jugendamt", "Jugendamt Görlitz", "youth_welfare"),
    MemberFact("org-sozialamt", "Sozialamt Görlitz", "social_welfare"),
    MemberFact("org-befoerderung", "Schülerbeförderung Landkreis Görlitz", "student_transport"),
]
POTENTIALS = [
    PotentialFact("communication", "Gemeinsame Übergabegespräche Kita–Schule", ("org-gs-weinhuebel",)),
    PotentialFact("special_offers", "Förderangebote im Ganztag", ("org-jugendamt", "org-os-rauschwalde")),
    PotentialFact("process_steering", "Abgestimmte Schülerbeförderung", ("org-befoerderung",)),
]
GOAL = GoalFact(
    title="Übergabegespräche an allen Grundschulen",
    potentials=1,
    owner="org-gs-weinhuebel",
    indicator="Anteil Schulen mit Übergabegespräch",
    target_date=dt.date(2020, 7, 31),
    confirmed=True,
)


def consultation_fact(**changes: Any) -> ConsultationFact:
    base = ConsultationFact(
        status="held",
        starts_at=dt.datetime(2019, 11, 21, 17, 0, tzinfo=BERLIN),
        invitations_sent_at=dt.datetime(2019, 11, 6, 9, 0, tzinfo=BERLIN),
        held_at=dt.datetime(2019, 11, 21, 19, 0, tzinfo=BERLIN),
        present_kinds=frozenset(PARTNER_KINDS) | {"public_school"},
    )
    return dataclasses.replace(base, **changes)


def facts(state: str = "SN", **sections: Any) -> NetworkFacts:
    return NetworkFacts(network="goerlitz-sued", state=state, at=AT, **sections)


def complete_facts() -> NetworkFacts:
    """A network that meets every exit criterion of the Saxon template."""
    body = "Protokoll der konstituierenden Beratung des Kooperationsverbunds Görlitz Süd"
    return facts(
        members=list(MEMBERS),
        coverage=CoverageFact(schools_in_scope=14, unassigned=(), multiply_assigned=()),
        analysis={member.organisation_id: set(CATEGORIES) for member in MEMBERS},
        potentials=list(POTENTIALS),
        goals=[GOAL],
        consultation=consultation_fact(),
        protocol=ProtocolFact(
            status="published",
            objection_deadline=dt.date(2019, 12, 9),
            open_objections=0,
            content_hash=content_hash(body),
            published_at=dt.datetime(2019, 12, 10, 12, 0, tzinfo=BERLIN),
        ),
        recommendations=2,
    )


@pytest.fixture(scope="module")
def saxon() -> ProcessTemplate:
    return load_template("sachsen-inklusion")


def test_every_check_says_which_sections_it_reads() -> None:
    section_names = {f.name for f in dataclasses.fields(NetworkFacts)}
    assert set(SECTIONS) <= section_names
    for criterion in REGISTRY.values():
        assert criterion.sections and set(criterion.sections) <= set(SECTIONS), criterion.name


# --- schools_covered ------------------------------------------------------------------------------


def test_schools_covered_is_met_when_every_school_is_in_exactly_one_network() -> None:
    assert schools_covered(facts(coverage=CoverageFact(14, (), ())), {}) == []


def test_schools_covered_names_the_unassigned_schools_and_the_share() -> None:
    coverage = CoverageFact(14, ("Oberschule Rauschwalde", "Grundschule Weinhübel"), ())

    [message] = schools_covered(facts(coverage=coverage), {})

    assert "2 von 14" in message
    assert "keinem Verbund" in message
    assert "Grundschule Weinhübel, Oberschule Rauschwalde" in message  # sorted


def test_schools_covered_names_schools_in_several_networks() -> None:
    coverage = CoverageFact(14, (), ("Förderschule Görlitz",))

    [message] = schools_covered(facts(coverage=coverage), {})

    assert "mehreren Verbünden" in message
    assert "Förderschule Görlitz" in message


def test_schools_covered_reports_both_problems_and_shortens_long_lists() -> None:
    unassigned = tuple(f"Grundschule {n}" for n in range(1, 8))
    coverage = CoverageFact(30, unassigned, ("Oberschule Nord",))

    first, second = schools_covered(facts(coverage=coverage), {})

    assert "7 von 30" in first
    assert "Grundschule 5" in first
    assert "Grundschule 6" not in first
    assert "und 2 weitere" in first
    assert "Oberschule Nord" in second


def test_a_check_on_an_unloaded_section_fails_loudly_instead_of_passing() -> None:
    with pytest.raises(ValueError, match="coverage"):
        schools_covered(facts(), {})
    with pytest.raises(ValueError, match="members"):
        required_partners(facts(), {"kinds": PARTNER_KINDS})


# --- required_partners ----------------------------------------------------------------------------


def test_required_partners_is_met_when_every_required_kind_is_a_member() -> None:
    assert required_partners(facts(members=list(MEMBERS)), {"kinds": PARTNER_KINDS}) == []


def test_required_partners_names_the_missing_kinds_by_their_german_label() -> None:
    members = [m for m in MEMBERS if m.kind not in {"youth_welfare", "student_transport"}]

    [message] = required_partners(facts(members=members), {"kinds": PARTNER_KINDS})

    assert message.startswith("Pflichtpartner fehlen")
    assert KIND_LABELS["youth_welfare"] in message
    assert KIND_LABELS["student_transport"] in message
    assert KIND_LABELS["school_board"] not in message
    assert KIND_LABELS["social_welfare"] not in message


def test_required_partners_without_members_lists_every_required_kind() -> None:
    [message] = required_partners(facts(members=[]), {"kinds": PARTNER_KINDS})

    for kind in PARTNER_KINDS:
        assert KIND_LABELS[kind] in message


# --- analysis_complete ----------------------------------------------------------------------------


def test_analysis_complete_is_met_when_every_member_answered_every_category() -> None:
    answered = {m.organisation_id: set(CATEGORIES) for m in MEMBERS}

    assert analysis_complete(facts(members=list(MEMBERS), analysis=answered), {"categories": CATEGORIES}) == []


def test_analysis_complete_names_the_members_that_lack_a_category() -> None:
    answered = {m.organisation_id: set(CATEGORIES) for m in MEMBERS}
    answered["org-jugendamt"] = set(CATEGORIES) - {"actors"}
    del answered["org-os-rauschwalde"]

    [message] = analysis_complete(facts(members=list(MEMBERS), analysis=answered), {"categories": CATEGORIES})

    assert "2 von 6" in message
    assert "Jugendamt Görlitz" in message
    assert "Oberschule Rauschwalde" in message
    assert "Grundschule Weinhübel" not in message


def test_analysis_complete_requires_all_four_categories_when_none_are_given() -> None:
    three = set(CATEGORIES) - {"cooperation_structures"}
    members = MEMBERS[:1]

    [message] = analysis_complete(facts(members=members, analysis={"org-gs-weinhuebel": three}), {})

    assert "Grundschule Weinhübel" in message


def test_analysis_complete_is_unmet_for_a_network_without_members() -> None:
    assert analysis_complete(facts(members=[], analysis={}), {}) == ["der Verbund hat keine Mitglieder"]


# --- potentials_per_area --------------------------------------------------------------------------


def test_potentials_per_area_is_met_with_a_raised_potential_in_every_area() -> None:
    assert potentials_per_area(facts(potentials=list(POTENTIALS)), {"areas": AREAS}) == []


def test_potentials_per_area_names_the_area_without_potential_by_its_label() -> None:
    potentials = [p for p in POTENTIALS if p.area != "special_offers"]

    [message] = potentials_per_area(facts(potentials=potentials), {"areas": AREAS})

    assert AREA_LABELS["special_offers"] in message
    assert AREA_LABELS["communication"] not in message


def test_potentials_per_area_names_potentials_nobody_raised() -> None:
    anonymous = PotentialFact("communication", "Gemeinsamer Newsletter", ())

    [message] = potentials_per_area(facts(potentials=[*POTENTIALS, anonymous]), {"areas": AREAS})

    assert "ohne einbringende Partner" in message
    assert "Gemeinsamer Newsletter" in message


def test_potentials_per_area_with_no_potentials_misses_all_three_areas() -> None:
    unmet = potentials_per_area(facts(potentials=[]), {})

    assert len(unmet) == 3
    for area in AREAS:
        assert any(AREA_LABELS[area] in message for message in unmet)


# --- goals_well_formed ----------------------------------------------------------------------------


def test_goals_well_formed_is_met_by_a_derived_owned_measurable_dated_goal() -> None:
    assert goals_well_formed(facts(goals=[GOAL]), {}) == []


def test_goals_well_formed_is_unmet_without_goals() -> None:
    assert goals_well_formed(facts(goals=[]), {}) == ["noch kein Ziel erfasst"]


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"potentials": 0}, "ohne abgeleitetes Potenzial"),
        ({"owner": None}, "ohne Verantwortliche"),
        ({"indicator": ""}, "ohne Indikator"),
        ({"target_date": None}, "ohne Zieltermin"),
    ],
)
def test_goals_well_formed_names_the_goal_and_what_it_lacks(change: dict[str, Any], missing: str) -> None:
    poor = dataclasses.replace(GOAL, title="Inklusive Ferienangebote", **change)

    [message] = goals_well_formed(facts(goals=[GOAL, poor]), {})

    assert missing in message
    assert "Inklusive Ferienangebote" in message
    assert GOAL.title not in message


# --- consultation_invited_ahead -------------------------------------------------------------------


def test_consultation_invited_ahead_is_unmet_without_a_consultation() -> None:
    assert consultation_invited_ahead(facts(consultation=None), {"business_days": 10}) == [
        "keine konstituierende Beratung angesetzt"
    ]


def test_a_cancelled_consultation_counts_as_not_scheduled() -> None:
    [message] = consultation_invited_ahead(facts(consultation=consultation_fact(status="cancelled")), {})

    assert "keine konstituierende Beratung angesetzt" in message


def test_consultation_invited_ahead_is_unmet_before_invitations_are_sent() -> None:
    unsent = consultation_fact(status="scheduled", invitations_sent_at=None, held_at=None)

    [message] = consultation_invited_ahead(facts(consultation=unsent), {"business_days": 10})

    assert "noch nicht versandt" in message


# Consultation on Thu 21 Nov 2019, the day after Buß- und Bettag (Wed 20 Nov, a holiday in Saxony only).
# (6 Nov, 21 Nov] holds 10 Saxon business days: 7, 8, 11, 12, 13, 14, 15, 18, 19, 21.
# (7 Nov, 21 Nov] holds 9 in Saxony, but 10 in North Rhine-Westphalia where the 20th is a working day.
# Consultation on Mon 4 Nov 2019 after Reformationstag (Thu 31 Oct):
# (18 Oct, 4 Nov] holds 10 Saxon business days; (21 Oct, 4 Nov] holds 9.
@pytest.mark.parametrize(
    ("sent", "starts"),
    [
        (dt.datetime(2019, 11, 6, 9, 0, tzinfo=BERLIN), dt.datetime(2019, 11, 21, 17, 0, tzinfo=BERLIN)),
        (dt.datetime(2019, 10, 18, 15, 0, tzinfo=BERLIN), dt.datetime(2019, 11, 4, 10, 0, tzinfo=BERLIN)),
    ],
    ids=["buss-und-bettag", "reformationstag"],
)
def test_invitations_ten_saxon_business_days_ahead_meet_a_ten_day_notice(
    sent: dt.datetime, starts: dt.datetime
) -> None:
    consultation = consultation_fact(status="scheduled", starts_at=starts, invitations_sent_at=sent, held_at=None)

    assert consultation_invited_ahead(facts(consultation=consultation), {"business_days": 10}) == []


@pytest.mark.parametrize(
    ("sent", "starts"),
    [
        (dt.datetime(2019, 11, 7, 9, 0, tzinfo=BERLIN), dt.datetime(2019, 11, 21, 17, 0, tzinfo=BERLIN)),
        (dt.datetime(2019, 10, 21, 8, 0, tzinfo=BERLIN), dt.datetime(2019, 11, 4, 10, 0, tzinfo=BERLIN)),
    ],
    ids=["buss-und-bettag", "reformationstag"],
)
def test_saxon_holidays_do_not_count_towards_the_notice_period(sent: dt.datetime, starts: dt.datetime) -> None:
    # Exactly two calendar weeks ahead: ten weekdays, but one of them is a Saxon holiday.
    assert (starts.date() - sent.date()).days == 14
    consultation = consultation_fact(status="scheduled", starts_at=starts, invitations_sent_at=sent, held_at=None)

    [message] = consultation_invited_ahead(facts(consultation=consultation), {"business_days": 10})

    assert "nur 9 statt 10 Werktage" in message
    assert consultation_invited_ahead(facts(consultation=consultation), {"business_days": 9}) == []


def test_the_same_notice_is_long_enough_in_a_land_where_buss_und_bettag_is_a_working_day() -> None:
    consultation = consultation_fact(
        status="scheduled",
        starts_at=dt.datetime(2019, 11, 21, 17, 0, tzinfo=BERLIN),
        invitations_sent_at=dt.datetime(2019, 11, 7, 9, 0, tzinfo=BERLIN),
        held_at=None,
    )

    assert consultation_invited_ahead(facts("NW", consultation=consultation), {"business_days": 10}) == []
    assert consultation_invited_ahead(facts("SN", consultation=consultation), {"business_days": 10}) != []


def test_invitations_sent_after_the_consultation_started_never_meet_the_notice() -> None:
    late = consultation_fact(invitations_sent_at=dt.datetime(2019, 11, 22, 9, 0, tzinfo=BERLIN))

    [message] = consultation_invited_ahead(facts(consultation=late), {"business_days": 1})

    assert "nur -1 statt 1 Werktag " in message  # singular for one (issue 17)


def test_notice_is_counted_in_saxon_calendar_days_whatever_the_time_zone_of_the_instants() -> None:
    # Sent Thu 7 Nov 2019 at 00:30 in Dresden = Wed 6 Nov 23:30 UTC: only 9 Saxon business days ahead.
    sent = dt.datetime(2019, 11, 7, 0, 30, tzinfo=BERLIN)
    starts = dt.datetime(2019, 11, 21, 17, 0, tzinfo=BERLIN)
    as_stored = consultation_fact(
        status="scheduled",
        starts_at=starts.astimezone(dt.UTC),
        invitations_sent_at=sent.astimezone(dt.UTC),
        held_at=None,
    )

    unmet = consultation_invited_ahead(facts(consultation=as_stored), {"business_days": 10})

    assert any("nur 9 statt 10" in message for message in unmet), unmet


# --- consultation_held_with_quorum ----------------------------------------------------------------


def test_quorum_is_met_when_every_required_kind_was_present() -> None:
    assert consultation_held_with_quorum(facts(consultation=consultation_fact()), {"kinds": PARTNER_KINDS}) == []


def test_quorum_cannot_be_judged_before_the_consultation_was_held() -> None:
    scheduled = consultation_fact(status="scheduled", held_at=None)

    assert consultation_held_with_quorum(facts(consultation=scheduled), {"kinds": PARTNER_KINDS}) == [
        "die Beratung hat noch nicht stattgefunden"
    ]
    assert consultation_held_with_quorum(facts(consultation=None), {"kinds": PARTNER_KINDS}) == [
        "die Beratung hat noch nicht stattgefunden"
    ]


def test_quorum_names_the_absent_partner_kinds() -> None:
    held = consultation_fact(present_kinds=frozenset({"school_board", "youth_welfare", "public_school"}))

    [message] = consultation_held_with_quorum(facts(consultation=held), {"kinds": PARTNER_KINDS})

    assert "Quorum nicht erreicht" in message
    assert KIND_LABELS["social_welfare"] in message
    assert KIND_LABELS["student_transport"] in message
    assert KIND_LABELS["school_board"] not in message


# --- goals_confirmed ------------------------------------------------------------------------------


def test_goals_confirmed_is_met_when_every_goal_is_confirmed() -> None:
    assert goals_confirmed(facts(goals=[GOAL]), {}) == []


def test_goals_confirmed_names_the_unconfirmed_goals() -> None:
    pending = dataclasses.replace(GOAL, title="Gemeinsame Fortbildungen", confirmed=False)

    [message] = goals_confirmed(facts(goals=[GOAL, pending]), {})

    assert "nicht bestätigt" in message
    assert "Gemeinsame Fortbildungen" in message
    assert GOAL.title not in message


def test_goals_confirmed_is_unmet_without_goals() -> None:
    assert goals_confirmed(facts(goals=[]), {}) == ["keine Ziele zu bestätigen"]


# --- protocol_published ---------------------------------------------------------------------------


def test_protocol_published_is_met_by_an_approved_published_protocol_without_objections() -> None:
    assert protocol_published(complete_facts(), {}) == []


def test_protocol_published_is_unmet_without_a_draft() -> None:
    assert protocol_published(facts(protocol=None), {}) == ["noch kein Protokollentwurf"]


def test_a_fresh_draft_lacks_circulation_approval_and_publication() -> None:
    draft = ProtocolFact("draft", objection_deadline=None, open_objections=0, content_hash=None, published_at=None)

    unmet = protocol_published(facts(protocol=draft), {})

    assert len(unmet) == 3
    assert "Einspruchsfrist" in unmet[0]
    assert "eingefroren" in unmet[1]
    assert "nicht veröffentlicht" in unmet[2]


def test_open_objections_are_counted() -> None:
    circulated = ProtocolFact(
        "circulated",
        objection_deadline=dt.date(2019, 12, 9),
        open_objections=2,
        content_hash=None,
        published_at=None,
    )

    unmet = protocol_published(facts(protocol=circulated), {})

    assert "2 offene Einsprüche zum Protokoll" in unmet
    assert not any("Einspruchsfrist" in message for message in unmet)


# --- recommendations_tracked ----------------------------------------------------------------------


def test_recommendations_tracked_is_met_with_at_least_one_recommendation() -> None:
    assert recommendations_tracked(facts(recommendations=1), {}) == []


def test_recommendations_tracked_is_unmet_without_recommendations() -> None:
    [message] = recommendations_tracked(facts(recommendations=0), {})

    assert "Empfehlungen" in message


def test_recommendations_tracked_honours_a_higher_minimum() -> None:
    assert recommendations_tracked(facts(recommendations=2), {"minimum": 3}) != []
    assert recommendations_tracked(facts(recommendations=3), {"minimum": 3}) == []


# --- the Saxon template's stages ------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["analysis", "potentials", "goals", "consultation", "protocol"])
def test_a_network_meeting_everything_has_no_unmet_criteria_in_any_saxon_stage(
    saxon: ProcessTemplate, stage: str
) -> None:
    assert unmet_criteria(saxon.stage(stage), complete_facts()) == []


def test_unmet_criteria_lists_every_unmet_check_of_the_stage_in_template_order(saxon: ProcessTemplate) -> None:
    network = complete_facts()
    network.coverage = CoverageFact(14, ("Grundschule Weinhübel",), ())
    network.members = [m for m in MEMBERS if m.kind != "social_welfare"]
    network.analysis = {}

    unmet = unmet_criteria(saxon.stage("analysis"), network)

    assert len(unmet) == 3
    assert "Grundschule Weinhübel" in unmet[0]
    assert KIND_LABELS["social_welfare"] in unmet[1]
    assert unmet[2].startswith("Analyse unvollständig für 5 von 5")


def test_unmet_criteria_of_the_consultation_stage_combine_notice_quorum_and_confirmation(
    saxon: ProcessTemplate,
) -> None:
    network = complete_facts()
    network.consultation = consultation_fact(
        invitations_sent_at=dt.datetime(2019, 11, 7, 9, 0, tzinfo=BERLIN),
        present_kinds=frozenset({"school_board", "youth_welfare", "social_welfare"}),
    )
    network.goals = [dataclasses.replace(GOAL, confirmed=False)]

    unmet = unmet_criteria(saxon.stage("consultation"), network)

    assert len(unmet) == 3
    assert "nur 9 statt 10" in unmet[0]
    assert KIND_LABELS["student_transport"] in unmet[1]
    assert GOAL.title in unmet[2]


def test_check_names_follow_the_template(saxon: ProcessTemplate) -> None:
    assert check_names(saxon.stage("protocol")) == ["protocol_published", "recommendations_tracked"]


# --- sections_for ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "sections"),
    [
        ("analysis", {"coverage", "members", "analysis"}),
        ("potentials", {"potentials"}),
        ("goals", {"goals"}),
        ("consultation", {"consultation", "goals"}),
        ("protocol", {"protocol", "recommendations"}),
    ],
)
def test_sections_for_a_stage_are_the_facts_its_checks_read(
    saxon: ProcessTemplate, stage: str, sections: set[str]
) -> None:
    assert sections_for(saxon.stage(stage)) == sections


@pytest.mark.parametrize("stage", ["analysis", "potentials", "goals", "consultation", "protocol"])
def test_loading_only_the_sections_a_stage_needs_is_enough_to_judge_it(saxon: ProcessTemplate, stage: str) -> None:
    full = complete_facts()
    needed = sections_for(saxon.stage(stage))
    loaded = {name: getattr(full, name) for name in needed}

    assert unmet_criteria(saxon.stage(stage), facts(**loaded)) == []
