"""The other templates through the real service layer on SQLite (triggers recorded, not run):
NRW with consensus decisions and two annual Bildungskonferenzen, Hessen's work areas in any order,
the Kommunale Koordinierung's stages that start together."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, func, select

from verbund.domain.errors import InvalidInput
from verbund.domain.governance import Decision, DecisionVote
from verbund.domain.models import Membership, Network, Organisation
from verbund.domain.stages import AuditEvent, StageRun
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.app.lookup import network_by_slug
from verbund.services.demo.sample_templates import build_template_sample
from verbund.services.governance.records import Responsibility, decide, decisions, record_agreement, record_step, voters
from verbund.services.readmodels.queries import status
from verbund.services.stages.lifecycle import Outcome, advance_stage, reconcile_stage, show_stage, stages_under_way

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
PO = "po@example.org"
NRW = "rbn-lindenau"


def day(n: int) -> dt.datetime:
    return START + dt.timedelta(days=n)


def orgs(app: App, network: str, *, role: str | None = None, kind: str | None = None) -> dict[str, str]:
    with app.uow() as uow:
        query = (
            select(Organisation.id, Organisation.name)
            .join(Membership, col(Membership.organisation_id) == col(Organisation.id))
            .join(Network, col(Network.id) == col(Membership.network_id))
            .where(Network.slug == network)
        )
        if role:
            query = query.where(Membership.role == role)
        if kind:
            query = query.where(Organisation.kind == kind)
        return {str(oid): name for oid, name in uow.session.exec(query).all()}


def entitled(app: App, network: str, at: dt.datetime) -> dict[str, str]:
    with app.uow() as uow:
        return voters(uow.session, network_by_slug(uow.session, network), at)


def count(app: App, model: type) -> int:
    with app.uow() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model)).one())


def all_consent(app: App, network: str, at: dt.datetime) -> dict[str, str]:
    return dict.fromkeys(entitled(app, network, at), "consent")


@pytest.fixture
def nrw(app: App) -> list[str]:
    return build_template_sample(app, "nrw-bildungsnetzwerk", at=START).networks


def through_the_first_stages(app: App, *, finish_plan: bool = True) -> None:
    """Kooperationsvertrag, Lenkungskreis, Handlungsfelder (and the Arbeitsplan) of rbn-lindenau."""
    reconcile_stage(app, NRW, "kooperationsvertrag", day(0))
    land = next(iter(orgs(app, NRW, kind="school_authority")))
    kommune = next(iter(orgs(app, NRW, kind="school_board")))
    record_agreement(app, NRW, title="Kooperationsvertrag", parties=[land, kommune], signed_on=day(1).date(),
                     fields_of_action=["Inklusion"], by="bb@example.org", at=day(1))
    reconcile_stage(app, NRW, "kooperationsvertrag", day(1))
    advance_stage(app, NRW, "kooperationsvertrag", by=PO, at=day(2))
    reconcile_stage(app, NRW, "lenkungskreis", day(2))
    record_step(app, NRW, "lenkungskreis", "constituted", by="bb@example.org", at=day(3))
    reconcile_stage(app, NRW, "lenkungskreis", day(3))
    reconcile_stage(app, NRW, "handlungsfelder", day(3))
    for title in ("Inklusion", "Übergänge"):
        decide(app, NRW, "handlungsfelder", title=title, kind="field_of_action",
               votes=all_consent(app, NRW, day(4)), by="bb@example.org", at=day(4))
    reconcile_stage(app, NRW, "handlungsfelder", day(4))
    reconcile_stage(app, NRW, "arbeitsplan", day(4))
    if not finish_plan:
        return
    record_step(app, NRW, "arbeitsplan", "work_plan", by="bb@example.org", at=day(5))
    decide(app, NRW, "arbeitsplan", title="Arbeitsplan", kind="work_plan", votes=all_consent(app, NRW, day(5)),
           by="bb@example.org", at=day(5))
    reconcile_stage(app, NRW, "arbeitsplan", day(5))


def hold_conference(app: App, at: dt.datetime) -> None:
    for hours, step in enumerate(("prepared", "held", "documented", "recommendations")):
        record_step(app, NRW, "bildungskonferenz", step, by="bb@example.org", at=at + dt.timedelta(hours=hours))


# --- NRW: contract, Lenkungskreis, consensus ------------------------------------------------------

def test_the_nrw_contract_needs_a_signed_agreement_and_the_sign_off(app: App, nrw: list[str]) -> None:
    opened = reconcile_stage(app, NRW, "kooperationsvertrag", day(0))
    assert opened.state == "open"
    assert "Kooperationsvertrag: noch keine unterzeichnete Vereinbarung" in opened.unmet

    land = next(iter(orgs(app, NRW, kind="school_authority")))
    kommune = next(iter(orgs(app, NRW, kind="school_board")))
    record_agreement(app, NRW, title="Kooperationsvertrag", parties=[land, kommune], signed_on=day(1).date(),
                     fields_of_action=["Inklusion", "Ganztag"], by="bb@example.org", at=day(1))
    ready = reconcile_stage(app, NRW, "kooperationsvertrag", day(1))
    assert (ready.state, ready.outcome) == ("ready", Outcome.awaiting_sign_off)

    done = advance_stage(app, NRW, "kooperationsvertrag", by=PO, at=day(2))
    assert done.state == "completed"
    assert done.next_stages == ["lenkungskreis"]


def test_the_lenkungskreis_votes_and_guests_only_advise(app: App, nrw: list[str]) -> None:
    votes = entitled(app, NRW, day(0))
    guests = orgs(app, NRW, role="guest")

    assert set(votes) == set(orgs(app, NRW, role="steering_committee"))
    assert len(votes) == 4 and guests
    assert not set(guests) & set(votes)


def test_a_decision_with_one_objection_is_not_adopted_says_why_and_keeps_the_previous_responsibility(
    app: App, nrw: list[str]
) -> None:
    through_the_first_stages(app, finish_plan=False)  # decide in the open arbeitsplan stage
    voting = entitled(app, NRW, day(6))
    objector = sorted(voting, key=voting.__getitem__)[0]
    votes = {**dict.fromkeys(voting, "consent"), objector: "objection"}

    report = decide(app, NRW, "arbeitsplan", title="Ganztag an das Bildungsbüro", kind="responsibility",
                    votes=votes, proposed="Regionales Bildungsbüro", previous="dem Schulträger",
                    notes={objector: "Finanzierung ungeklärt"}, by="bb@example.org", at=day(6))

    assert not report.adopted
    assert report.reason == (
        f"nicht beschlossen: Einwand von {voting[objector]}; Zuständigkeit bleibt bei dem Schulträger")
    assert report.responsibility == "dem Schulträger"
    assert report.votes[voting[objector]] == "objection"
    with app.uow() as uow:
        stored = uow.session.exec(select(Decision).where(Decision.title == "Ganztag an das Bildungsbüro")).one()
        assert (stored.status, stored.responsibility, stored.previous_responsibility) == (
            "not_agreed", "dem Schulträger", "dem Schulträger")
        ballots = uow.session.exec(select(DecisionVote).where(DecisionVote.decision_id == stored.id)).all()
        assert len(ballots) == len(voting)
        assert [b.note for b in ballots if b.vote == "objection"] == ["Finanzierung ungeklärt"]
        event = uow.session.exec(
            select(AuditEvent).where(AuditEvent.entity == "decision", AuditEvent.action == "not_agreed")
        ).one()
        assert "Einwand von" in (event.reason or "")


def test_decisions_are_taken_in_an_open_stage_only(app: App, nrw: list[str]) -> None:
    reconcile_stage(app, NRW, "kooperationsvertrag", day(0))

    with pytest.raises(InvalidInput, match="die Stufe ist noch nicht eröffnet"):
        decide(app, NRW, "handlungsfelder", title="X", kind="field_of_action",
               votes=all_consent(app, NRW, day(1)), by="bb", at=day(1))
    assert count(app, Decision) == 0


def test_only_the_lenkungskreis_may_vote(app: App, nrw: list[str]) -> None:
    through_the_first_stages(app, finish_plan=False)
    guest_id, guest = next(iter(orgs(app, NRW, role="guest").items()))
    votes = {**all_consent(app, NRW, day(6)), guest_id: "consent"}

    with pytest.raises(InvalidInput, match=f"nicht stimmberechtigt.*{guest}"):
        decide(app, NRW, "arbeitsplan", title="Y", kind="responsibility", votes=votes, by="bb", at=day(6))
    with pytest.raises(InvalidInput, match="unbekannte Stimme 'veto'"):
        decide(app, NRW, "arbeitsplan", title="Y", kind="responsibility", votes={guest_id: "veto"}, by="bb",
               at=day(6))


def test_recording_the_same_decision_again_changes_nothing(app: App, nrw: list[str]) -> None:
    through_the_first_stages(app)
    before = (count(app, Decision), count(app, DecisionVote), count(app, AuditEvent))

    again = decide(app, NRW, "arbeitsplan", title="Arbeitsplan", kind="work_plan", votes={}, by="bb", at=day(7))

    assert again.adopted
    assert (count(app, Decision), count(app, DecisionVote), count(app, AuditEvent)) == before
    assert [d.title for d in decisions(app, NRW)] == ["Inklusion", "Übergänge", "Arbeitsplan"]


# --- NRW: the annual Bildungskonferenz ------------------------------------------------------------

def test_the_bildungskonferenz_runs_two_annual_cycles(app: App, nrw: list[str]) -> None:
    through_the_first_stages(app)
    first = reconcile_stage(app, NRW, "bildungskonferenz", day(5))
    assert (first.state, first.cycle) == ("open", 1)

    hold_conference(app, day(40))
    done = reconcile_stage(app, NRW, "bildungskonferenz", day(41))
    assert (done.state, done.cycle) == ("completed", 1)
    assert done.next_stages == ["bezirksbericht"]
    assert done.next_cycle_opens == "2020-09-07"  # a year after it opened (2019-09-07)

    runs = count(app, StageRun)
    early = reconcile_stage(app, NRW, "bildungskonferenz", dt.datetime(2020, 9, 6, 9, 0, tzinfo=BERLIN))
    assert (early.cycle, early.state, count(app, StageRun)) == (1, "completed", runs)

    second = reconcile_stage(app, NRW, "bildungskonferenz", dt.datetime(2020, 9, 7, 9, 0, tzinfo=BERLIN))
    assert (second.cycle, second.state, second.transitions) == (2, "open", ["pending→open"])
    assert second.due == "2020-11-30"  # 60 business days (Mon–Fri; 3.10. and 1.11.2020 fall on a weekend)
    assert second.unmet == ["noch nicht dokumentiert (Durchlauf 2): vorbereitet, durchgeführt, dokumentiert, "
                            "Empfehlungen an den Lenkungskreis"]  # last year's steps do not count

    hold_conference(app, dt.datetime(2020, 11, 12, 9, 0, tzinfo=BERLIN))
    closed = reconcile_stage(app, NRW, "bildungskonferenz", dt.datetime(2020, 11, 13, 9, 0, tzinfo=BERLIN))
    assert (closed.cycle, closed.state) == (2, "completed")

    network = next(n for n in status(app)["networks"] if n["slug"] == NRW)
    assert set(network) >= {"slug", "name", "region", "template", "stages"}
    conferences = [s for s in network["stages"] if s["name"] == "bildungskonferenz"]
    assert [(s["cycle"], s["state"]) for s in conferences] == [(1, "completed"), (2, "completed")]
    assert all(set(s) >= {"name", "cycle", "state", "due", "completed_at"} for s in network["stages"])
    assert [s["cycle"] for s in network["stages"] if s["name"] != "bildungskonferenz"] == [1] * 5

    shown = show_stage(app, NRW, "bildungskonferenz", at=dt.datetime(2020, 11, 14, tzinfo=BERLIN))
    assert [c["cycle"] for c in shown["cycles"]] == [1, 2]
    assert shown["recurring"] is True


def test_advance_brings_the_next_occurrence_of_a_recurring_stage_forward(app: App, nrw: list[str]) -> None:
    through_the_first_stages(app)
    reconcile_stage(app, NRW, "bildungskonferenz", day(5))
    hold_conference(app, day(40))
    reconcile_stage(app, NRW, "bildungskonferenz", day(41))

    early = advance_stage(app, NRW, "bildungskonferenz", by="bb@example.org", at=day(100))

    assert (early.cycle, early.state) == (2, "open")


# --- Hessen: the work areas in any order ----------------------------------------------------------

AREAS = ["unterstuetzung", "schulaufsicht", "service", "interne-leistungen"]


def test_the_hessen_work_areas_open_together_and_end_in_any_order(app: App) -> None:
    network = build_template_sample(app, "hessen-kooperationsverbund", at=START).networks[0]
    reconcile_stage(app, network, "verbund", day(0))
    record_agreement(app, network, title="Kooperationsvereinbarung",
                     parties=list(orgs(app, network, kind="school_authority")), signed_on=day(1).date(),
                     by="gs@example.org", at=day(1))
    reconcile_stage(app, network, "verbund", day(1))
    done = advance_stage(app, network, "verbund", by=PO, at=day(2))
    assert done.next_stages == AREAS
    assert stages_under_way_of(app, network) == AREAS

    for area in AREAS:
        assert reconcile_stage(app, network, area, day(2)).state == "open"
    for offset, area in enumerate(reversed(AREAS), start=3):  # the reverse of the file's order
        waiting = reconcile_stage(app, network, "gemeinsame-ziele", day(offset))
        assert (waiting.state, waiting.outcome) == ("pending", Outcome.waiting_for_previous)
        decide(app, network, area, title=f"Zusammenarbeit {area}", kind="work_area",
               votes=all_consent(app, network, day(offset)), by="gs@example.org", at=day(offset))
        assert reconcile_stage(app, network, area, day(offset)).state == "completed"

    assert reconcile_stage(app, network, "gemeinsame-ziele", day(8)).state == "open"


def stages_under_way_of(app: App, network: str) -> list[str]:
    with app.uow() as uow:
        return stages_under_way(uow.session, network_by_slug(uow.session, network))


# --- Kommunale Koordinierung ----------------------------------------------------------------------

def test_the_kommunale_koordinierung_starts_two_stages_and_needs_clear_responsibilities(app: App) -> None:
    network = build_template_sample(app, "kommunale-koordinierung", at=START).networks[0]
    assert stages_under_way_of(app, network) == ["partner", "steuerungsgruppe"]
    assert reconcile_stage(app, network, "vereinbarung", day(0)).outcome == Outcome.waiting_for_previous
    assert reconcile_stage(app, network, "partner", day(0)).state == "completed"
    assert reconcile_stage(app, network, "vereinbarung", day(0)).outcome == Outcome.waiting_for_previous
    assert reconcile_stage(app, network, "steuerungsgruppe", day(0)).state == "completed"
    assert reconcile_stage(app, network, "vereinbarung", day(0)).state == "open"

    members = [oid for oid in orgs(app, network) if oid not in orgs(app, network, role="guest")]
    with pytest.raises(InvalidInput, match=r"responsibilities\[0\]"):
        record_agreement(app, network, title="Vereinbarung", parties=members, signed_on=day(1).date(),
                         responsibilities=[Responsibility("Praktika", "Kammern", " ")], by="kk", at=day(1))
    record_agreement(app, network, title="Vereinbarung", parties=members, signed_on=day(1).date(),
                     responsibilities=[Responsibility("Praktika", "Kammern", "Koordinierungsstelle")], by="kk",
                     at=day(1))
    open_ = reconcile_stage(app, network, "vereinbarung", day(1))
    assert open_.unmet == ["Beschluss der Vereinbarung: 0 von mindestens 1 im Konsens beschlossen"]


def test_due_dates_follow_the_holidays_of_the_networks_land(app: App) -> None:
    from verbund.domain.business_days import BusinessCalendar

    network = build_template_sample(app, "hessen-kooperationsverbund", at=START).networks[0]
    opened_on = dt.datetime(2020, 5, 27, 9, 0, tzinfo=BERLIN)  # Fronleichnam 11.06.2020: a holiday in HE, not SN

    report = reconcile_stage(app, network, "verbund", opened_on)

    hessen = BusinessCalendar("HE").add_business_days(opened_on.date(), 30)
    assert report.due == hessen.isoformat()
    assert hessen != BusinessCalendar("SN").add_business_days(opened_on.date(), 30)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [(dt.date(2019, 9, 7), 12, dt.date(2020, 9, 7)), (dt.date(2020, 1, 31), 1, dt.date(2020, 2, 29)),
     (dt.date(2020, 2, 29), 12, dt.date(2021, 2, 28)), (dt.date(2019, 11, 15), 3, dt.date(2020, 2, 15))],
)
def test_a_recurring_stage_reopens_months_later_on_the_same_day_or_the_months_last(
    start: dt.date, months: int, expected: dt.date
) -> None:
    from verbund.services.stages.lifecycle import add_months

    assert add_months(start, months) == expected
