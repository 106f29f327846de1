"""Schulferien in use (issue 16): an official .ics imported and listed, reminders for schools moved out
of the Saxon Weihnachtsferien 2026/27, and a sweep in 2031 warning once instead of guessing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlmodel import col, select
from typer.testing import CliRunner

from verbund.cli.main import app as cli
from verbund.domain.models import Contact, Organisation
from verbund.domain.outbox import OutboxItem
from verbund.domain.stages import StageRun
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.ferien import import_ics, list_ferien
from verbund.services.demo.sample import build_sample_region
from verbund.services.messaging.outbox import sweep
from verbund.services.messaging.reminders import plan
from verbund.services.stages.lifecycle import reconcile_stage

SCHOOLS = {"public_school", "private_school"}
ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Kultusministerium//Schulferien//DE\r
BEGIN:VEVENT\r
UID:herbst-2027@sn\r
SUMMARY:Herbstferien 2027 (amtlich)\r
DTSTART;VALUE=DATE:20271011\r
DTEND;VALUE=DATE:20271023\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weihnachten-2027@sn\r
SUMMARY:Weihnachtsferien 2027 (amtlich)\r
DTSTART;VALUE=DATE:20271223\r
DTEND;VALUE=DATE:20280101\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _env(app: App) -> dict[str, str]:
    return {"VERBUND_DATABASE_URL": app.settings.database_url, "VERBUND_NOW": app.now().isoformat()}


def test_an_ics_with_two_ferien_periods_imports_and_shows_in_ferien_list(app: App, tmp_path: Path) -> None:
    path = tmp_path / "ferien-sn-2027.ics"
    path.write_text(ICS, encoding="utf-8")

    imported = CliRunner().invoke(cli, ["ferien", "import", str(path), "--land", "sn", "--json"], env=_env(app))
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {"land": "SN", "source": "ferien-sn-2027.ics", "imported": 2, "notes": [],
                                           "covers": {"from": "2027-10-11", "to": "2027-12-31"}}
    listed = CliRunner().invoke(cli, ["ferien", "list", "--land", "SN", "--year", "2027", "--json"], env=_env(app))
    assert listed.exit_code == 0, listed.output
    periods = {p["name"]: p for p in json.loads(listed.stdout)["periods"]}
    assert periods["Herbstferien 2027 (amtlich)"] == {"name": "Herbstferien 2027 (amtlich)", "first_day": "2027-10-11",
                                                      "last_day": "2027-10-22", "source": periods[
                                                          "Herbstferien 2027 (amtlich)"]["source"]}
    assert periods["Herbstferien 2027 (amtlich)"]["source"].startswith("Import ferien-sn-2027.ics")
    assert periods["Weihnachtsferien 2027 (amtlich)"]["last_day"] == "2027-12-31"
    # the import replaces the shipped periods on the days it covers, and only there
    assert "Herbstferien 2027" not in periods and periods["Sommerferien 2027"]["source"] == "Open Holiday API (ODbL)"
    table = CliRunner().invoke(cli, ["ferien", "list", "--land", "SN", "--year", "2027"],
                               env=_env(app) | {"COLUMNS": "200"})
    assert "Herbstferien 2027 (amtlich)" in table.stdout and "Bekannt: 08.10.2018" in table.stdout

    import_ics(app, path, "SN")  # again: nothing twice
    assert len(list_ferien(app, "SN", 2027)["periods"]) == len(periods)


def test_a_broken_ics_and_an_unknown_land_are_refused_in_german(app: App, tmp_path: Path) -> None:
    broken = tmp_path / "kaputt.ics"
    broken.write_text("das ist kein Kalender", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["ferien", "import", str(broken), "--land", "SN"], env=_env(app))
    assert refused.exit_code == 1 and "kaputt.ics" in refused.output and "Traceback" not in refused.output
    land = CliRunner().invoke(cli, ["ferien", "list", "--land", "XX"], env=_env(app))
    assert land.exit_code == 1 and "--land" in land.output


def test_a_saxon_schools_reminder_due_in_the_weihnachtsferien_2026_27_moves_to_the_first_school_day(
    app: App, clock: ManualClock
) -> None:
    start = dt.datetime(2026, 11, 2, 9, tzinfo=BERLIN)
    clock.set(start)
    build_sample_region(app, at=start)
    reconcile_stage(app, "kv-auental-nord", "analysis", start)
    with app.uow(write=True) as uow:
        run = uow.session.exec(select(StageRun).where(StageRun.stage == "analysis",
                                                      col(StageRun.due).is_not(None))).first()
        assert run is not None
        run.due = dt.date(2026, 12, 28)  # inside the Weihnachtsferien 23.12.2026–02.01.2027
        uow.session.add(run)
        uow.commit()

    report = plan(app, dt.datetime(2026, 12, 30, 9, tzinfo=BERLIN))

    assert report.warnings == []
    with app.uow() as uow:
        rows = uow.session.exec(select(OutboxItem.kind, OutboxItem.context, OutboxItem.send_after, Organisation.kind)
                                .join(Contact, col(Contact.id) == col(OutboxItem.contact_id))
                                .join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
                                .where(OutboxItem.stage == "analysis")).all()
    schools = {(kind, context["due"], at.astimezone(BERLIN)) for kind, context, at, org in rows
               if org in SCHOOLS and kind != "stage_opened"}
    others = {(kind, context["due"]) for kind, context, _at, org in rows
              if org not in SCHOOLS and kind != "stage_opened"}
    # schools: the due date moves to Monday 4 January 2027, the reminder waits for the first school day
    assert schools == {("reminder", "2027-01-04", dt.datetime(2027, 1, 4, 8, tzinfo=BERLIN))}
    assert others == {("overdue", "2026-12-28")}


def test_a_sweep_in_2031_warns_once_that_the_ferien_are_not_known(app: App, clock: ManualClock) -> None:
    start = dt.datetime(2031, 3, 3, 9, tzinfo=BERLIN)
    clock.set(start)
    build_sample_region(app, at=start)
    reconcile_stage(app, "kv-auental-nord", "analysis", start)

    report = sweep(app, start + dt.timedelta(days=30), dry_run=True).to_dict()

    [warning] = report["warnings"]
    assert "Schulferien SN" in warning and "2031" in warning and "verbund ferien import" in warning


def test_the_saxon_analysis_opened_on_29_october_2026_is_due_after_the_weihnachtsferien(
    app: App, clock: ManualClock
) -> None:
    start = dt.datetime(2026, 10, 29, 9, tzinfo=BERLIN)  # + 40 business days = 28.12.2026, in the Ferien
    clock.set(start)
    build_sample_region(app, at=start)
    reconcile_stage(app, "kv-auental-nord", "analysis", start)
    with app.uow() as uow:
        due = uow.session.exec(select(StageRun.due).where(StageRun.stage == "analysis")).first()
    assert due == dt.date(2027, 1, 4)
