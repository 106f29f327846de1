"""The report's figures are rebuilt from the history: back-dated events, later changes, bad input."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from verbund.domain.errors import InvalidInput, NotFound
from verbund.domain.models import Membership, Organisation, OrganisationKind
from verbund.domain.stages import StageRun
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.demo.sample import build_sample_region
from verbund.services.report import build_report, check_format, parse_day, render, write_report
from verbund.services.report.figures import replay, stage_cell
from verbund.services.report.history import RunRecord, Transition
from verbund.services.stages.lifecycle import reconcile_stage, waive_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
OWNER = "po@example.org"


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=BERLIN)


@pytest.fixture
def region(app: App) -> list[str]:
    networks = build_sample_region(app, at=START).networks
    for network in networks:
        reconcile_stage(app, network, "analysis", START)
    return networks


def test_a_date_before_the_networks_existed_shows_none_but_the_schools_in_scope(app: App, region: list[str]) -> None:
    report = build_report(app, dt.date(2019, 9, 1))
    total = report.figures.total
    assert (total.networks, total.schools_assigned, total.schools_in_scope) == (0, 0, 60)
    assert report.figures.networks == ()
    assert "in 1 Region und 1 Land noch keine Kooperationsverbünde" in report.summary
    assert "Von 60 öffentlichen Schulen sind 0 einem Verbund zugeordnet" in report.summary


def test_a_back_dated_waiver_counts_at_its_real_date_not_when_it_was_recorded(
    app: App, region: list[str], clock: ManualClock
) -> None:
    clock.set(at("2019-12-01"))  # recorded in December ...
    waive_stage(app, "kv-auental-nord", "analysis", reason="Analyse liegt aus dem Vorprojekt vor", by=OWNER,
                at=at("2019-09-10"))  # ... for something that happened on 10 September
    reconcile_stage(app, "kv-auental-nord", "potentials", at("2019-09-10", 11))

    before = build_report(app, dt.date(2019, 9, 9)).figures
    after = build_report(app, dt.date(2019, 9, 10)).figures
    assert before.total.waived == 0 and after.total.waived == 1
    assert dict(before.total.by_stage)["analysis"] == 4
    assert (after.total.count("analysis"), after.total.count("potentials")) == (3, 1)
    row = next(r for r in after.networks if r.slug == "kv-auental-nord")
    assert row.reached == "potentials"
    assert [(c.stage, c.state, c.finished) for c in row.stages[:2]] == [
        ("analysis", "waived", dt.date(2019, 9, 10)), ("potentials", "open", None)]


def test_overdue_stages_are_those_still_open_after_their_due_date(app: App, region: list[str]) -> None:
    with app.uow() as uow:
        dues = {run.due for run in uow.session.exec(select(StageRun).where(StageRun.stage == "analysis"))}
    (due,) = dues
    assert due is not None
    assert build_report(app, due).figures.total.overdue == 0
    late = build_report(app, due + dt.timedelta(days=1)).figures
    assert late.total.overdue == 4
    assert all(row.stages[0].overdue and row.stages[0].due == due for row in late.networks)


def test_later_membership_ends_and_school_closures_do_not_change_a_past_report(app: App, region: list[str]) -> None:
    past = build_report(app, dt.date(2019, 10, 1))
    with app.uow(write=True) as uow:
        schools = uow.session.exec(
            select(Organisation).where(Organisation.kind == OrganisationKind.public_school).order_by(
                col(Organisation.name))).all()
        ended = uow.session.exec(select(Membership).where(Membership.organisation_id == schools[0].id)).all()
        for membership in ended:
            membership.valid_to = at("2019-11-01")
            uow.session.add(membership)
        schools[1].closed_at = at("2019-11-01")
        uow.session.add(schools[1])
        uow.commit()

    assert render(build_report(app, dt.date(2019, 10, 1)), "md") == render(past, "md")
    later = build_report(app, dt.date(2019, 11, 1)).figures.total
    assert (later.schools_in_scope, later.schools_assigned) == (59, 58)
    assert (past.figures.total.schools_in_scope, past.figures.total.schools_assigned) == (60, 60)


def test_without_an_outbox_the_message_figures_say_not_available(app: App, region: list[str]) -> None:
    with app.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS outboxitem"))
    report = build_report(app, dt.date(2019, 9, 30))
    assert report.figures.total.messages is None
    assert "Zum Nachrichtenversand liegen keine Daten vor." in report.summary
    assert "nicht verfügbar" in render(report, "md").decode()


def test_the_comparison_lists_what_changed_between_the_two_dates(
    app: App, region: list[str], clock: ManualClock
) -> None:
    clock.set(at("2019-09-20"))
    waive_stage(app, "kv-auental-sued", "analysis", reason="Vorarbeiten anerkannt", by=OWNER, at=at("2019-09-20"))
    report = build_report(app, dt.date(2019, 9, 30), compare_to=dt.date(2019, 9, 10))
    name = next(row.name for row in report.figures.networks if row.slug == "kv-auental-sued")  # names, not slugs
    assert (name, "Stufe Analyse", "offen", "erlassen") in {
        (c.where, c.what, c.before, c.after) for c in report.changes}
    assert all(isinstance(c.after, int) for c in report.changes if c.what == "Stufen überfällig")
    assert "Gegenüber dem 10.09.2019" in report.summary
    assert report.previous is not None and report.previous.total.waived == 0


def _run(*moves: tuple[str, str, str], due: dt.date | None = dt.date(2019, 9, 20)) -> RunRecord:
    transitions = tuple(Transition(at(day) if len(day) == 10 else dt.datetime.fromisoformat(day), a, b)
                        for day, a, b in moves)
    return RunRecord(uuid.uuid4(), "analysis", "Analyse", 1, 0, due, transitions)


def test_moves_at_the_same_instant_replay_in_the_order_the_state_machine_allows() -> None:
    same = at("2019-09-05")
    moves = [Transition(same, "ready", "completed"), Transition(same, "pending", "open"),
             Transition(same, "open", "ready")]
    state, entered = replay(moves, at("2019-09-06", 0))
    assert state == "completed" and entered["open"] == same
    assert replay(moves, same)[0] == "pending"


def test_a_stage_completed_after_its_due_date_counts_as_late() -> None:
    on_time = _run(("2019-09-02", "pending", "open"), ("2019-09-20", "open", "ready"),
                   ("2019-09-20", "ready", "completed"))
    late = _run(("2019-09-02", "pending", "open"), ("2019-09-23", "open", "ready"),
                ("2019-09-23", "ready", "completed"))
    day = dt.date(2019, 9, 30)
    before = at("2019-10-01", 0)
    assert stage_cell(on_time, day, before).on_time is True
    assert stage_cell(late, day, before).on_time is False
    waiting = stage_cell(late, dt.date(2019, 9, 21), at("2019-09-22", 0))
    assert (waiting.state, waiting.overdue, waiting.on_time) == ("open", True, None)


def test_bad_input_is_refused_in_german_naming_what_and_where(app: App, region: list[str], tmp_path: Path) -> None:
    assert parse_day("14.10.2019") == dt.date(2019, 10, 14)  # German and ISO (issue 16)
    with pytest.raises(InvalidInput, match=r"--as-of: '31\.02\.2019' ist kein gültiges Datum"):
        parse_day("31.02.2019")
    with pytest.raises(InvalidInput, match="--format: 'docx' unbekannt"):
        check_format("docx")
    with pytest.raises(NotFound, match="Region 'sn-nirgendwo'"):
        build_report(app, dt.date(2019, 10, 1), region="sn-nirgendwo")
    with pytest.raises(InvalidInput, match="existiert nicht"):
        write_report(app, dt.date(2019, 10, 1), "md", tmp_path / "fehlt" / "bericht.md")


def test_a_failed_report_leaves_an_existing_file_as_it_was(app: App, region: list[str], tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "bericht.md"
    target.write_text("voriger Bericht", encoding="utf-8")
    with pytest.raises(NotFound):
        write_report(app, dt.date(2019, 10, 1), "md", target, region="sn-nirgendwo")
    assert target.read_text(encoding="utf-8") == "voriger Bericht"
    write_report(app, dt.date(2019, 10, 1), "md", target, region="sn-muldenland")
    assert target.read_text(encoding="utf-8").startswith("# Stand des Aufbaus der Kooperationsverbünde")
    assert [p.name for p in target.parent.iterdir()] == ["bericht.md"]  # no temporary file left behind


def test_public_schools_the_import_put_out_of_scope_count_neither_in_scope_nor_assigned(
    app: App, region: list[str]
) -> None:
    with app.uow(write=True) as uow:
        school = uow.session.exec(
            select(Organisation).where(Organisation.kind == OrganisationKind.public_school).order_by(
                col(Organisation.name))).first()
        assert school is not None
        school.in_scope = False
        school.out_of_scope_reason = "Schule in Abwicklung"
        uow.session.add(school)
        uow.commit()
    total = build_report(app, dt.date(2019, 10, 1)).figures.total
    assert (total.schools_in_scope, total.schools_assigned) == (59, 59)
    assert total.coverage_percent == 100.0
