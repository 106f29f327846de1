"""The stage use cases over a real SQLite database, with the trigger recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select

from verbund.domain.errors import IllegalTransition, InvalidInput, NotFound
from verbund.domain.models import Organisation
from verbund.domain.stages import AuditEvent, StageRun
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.work import AnalysisInput, record_analysis
from verbund.services.stages.lifecycle import Outcome, advance_stage, reconcile_stage, show_stage, waive_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NETWORK = "kv-auental-nord"


def _count(app: App, model: type) -> int:
    with app.uow() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def sample(app: App) -> list[str]:
    return build_sample_region(app, at=START).networks


def test_the_first_reconcile_opens_the_first_stage_with_a_business_day_due_date(app: App, sample: list[str]) -> None:
    report = reconcile_stage(app, NETWORK, "analysis", START)
    assert report.state == "open"
    assert report.outcome == Outcome.awaiting_partners
    assert report.transitions == ["pending→open"]
    # 40 Saxon business days from Monday 2019-09-02 (Reformationstag 31.10. is a holiday)
    assert report.due == "2019-10-29"
    assert any("Analyse unvollständig" in item for item in report.unmet)


def test_reconciling_twice_writes_no_second_transition_or_event(app: App, sample: list[str]) -> None:
    reconcile_stage(app, NETWORK, "analysis", START)
    events, runs = _count(app, AuditEvent), _count(app, StageRun)
    again = reconcile_stage(app, NETWORK, "analysis", START + dt.timedelta(hours=1))
    assert again.transitions == []
    assert (_count(app, AuditEvent), _count(app, StageRun)) == (events, runs)


def test_a_later_stage_waits_while_its_predecessor_is_open(app: App, sample: list[str]) -> None:
    reconcile_stage(app, NETWORK, "analysis", START)
    report = reconcile_stage(app, NETWORK, "potentials", START)
    assert (report.state, report.outcome) == ("pending", Outcome.waiting_for_previous)


def test_advance_refuses_an_open_stage_naming_the_unmet_criteria(app: App, sample: list[str]) -> None:
    reconcile_stage(app, NETWORK, "analysis", START)
    with pytest.raises(IllegalTransition) as refused:
        advance_stage(app, NETWORK, "analysis", by="po@example.org", at=START + dt.timedelta(days=1))
    message = str(refused.value)
    assert "analysis" in message and "open → ready" in message
    assert "Analyse unvollständig" in message


def test_a_waiver_needs_reason_and_person_and_is_audited(app: App, sample: list[str]) -> None:
    reconcile_stage(app, NETWORK, "analysis", START)
    with pytest.raises(InvalidInput, match="Begründung"):
        waive_stage(app, NETWORK, "analysis", reason=" ", by="po@example.org")
    with pytest.raises(InvalidInput, match="--by"):
        waive_stage(app, NETWORK, "analysis", reason="Bestehender Verbund", by="")
    report = waive_stage(app, NETWORK, "analysis", reason="Bestehender Verbund seit 2017", by="po@example.org",
                         at=START + dt.timedelta(days=2))
    assert report.state == "waived"
    shown = show_stage(app, NETWORK, "analysis")
    assert shown["waiver_reason"] == "Bestehender Verbund seit 2017"
    assert shown["events"][-1]["actor"] == "po@example.org"
    assert shown["events"][-1]["to"] == "waived"
    # the next stage is triggered so that it opens
    assert app.trigger.calls[-1][:2] == (NETWORK, "potentials")  # type: ignore[attr-defined]


def test_completing_the_analysis_input_makes_the_stage_ready_and_sign_off_completes_it(
    app: App, sample: list[str]
) -> None:
    reconcile_stage(app, NETWORK, "analysis", START)
    members = _members(app, NETWORK)
    at = START + dt.timedelta(days=7)
    entries = [AnalysisInput(oid, c, text=f"Angaben {c}") for oid in members
               for c in ("conditions", "actors", "responsibilities", "cooperation_structures")]
    record_analysis(app, NETWORK, entries, by="partner", at=at)
    assert app.trigger.calls[-1][:2] == (NETWORK, "analysis")  # type: ignore[attr-defined]
    report = reconcile_stage(app, NETWORK, "analysis", at)
    assert (report.state, report.outcome) == ("ready", Outcome.awaiting_sign_off)
    done = advance_stage(app, NETWORK, "analysis", by="po@example.org", at=at + dt.timedelta(days=1))
    assert done.state == "completed"
    assert done.next_stage == "potentials"
    opened = reconcile_stage(app, NETWORK, "potentials", at + dt.timedelta(days=1))
    assert opened.state == "open"


def test_an_unassigned_school_blocks_the_analysis_of_every_network_of_the_region(
    app: App, sample: list[str]
) -> None:
    from verbund.domain.models import Membership

    with app.uow(write=True) as uow:
        school = uow.session.exec(select(Organisation).where(Organisation.kind == "public_school")).first()
        assert school is not None
        for membership in uow.session.exec(select(Membership).where(Membership.organisation_id == school.id)):
            membership.valid_to = START
            uow.session.add(membership)
        uow.commit()
    reconcile_stage(app, "kv-heidegrund-ost", "analysis", START)
    shown = show_stage(app, "kv-heidegrund-ost", "analysis", START + dt.timedelta(days=1))
    assert any("keinem Verbund zugeordnet" in item and school.name in item for item in shown["unmet"])


def test_unknown_network_and_stage_are_named(app: App, sample: list[str]) -> None:
    with pytest.raises(NotFound, match="kv-gibt-es-nicht"):
        reconcile_stage(app, "kv-gibt-es-nicht", "analysis")
    with pytest.raises(Exception, match="keine Stufe 'planung'"):
        reconcile_stage(app, NETWORK, "planung")


def test_an_event_recorded_with_at_before_the_last_change_is_refused(app: App, sample: list[str]) -> None:
    reconcile_stage(app, NETWORK, "analysis", START)
    with pytest.raises(IllegalTransition, match="liegt vor dem letzten Übergang"):
        waive_stage(app, NETWORK, "analysis", reason="x", by="po@example.org", at=START - dt.timedelta(days=30))


def _members(app: App, network: str) -> list[str]:
    from verbund.domain.models import Membership, Network

    with app.uow() as uow:
        rows = uow.session.exec(
            select(Membership.organisation_id)
            .join(Network, Network.id == Membership.network_id)  # type: ignore[arg-type]
            .where(Network.slug == network, Membership.role != "guest")
        ).all()
    return [str(row) for row in rows]
