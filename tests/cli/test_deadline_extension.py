"""``verbund stage extend``: a process owner moves one network's due date later with a reason;
the audit trail and the report show it, and reminders follow the new date (an unextended
network beside it is overdue on the same day, the extended one is not)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cli_world import Cli

from verbund.domain.business_days import BusinessCalendar
from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.app.settings import Settings
from verbund.services.messaging.outbox import sweep

NET, OTHER = "kv-auental-nord", "kv-auental-sued"
PASSWORD = "ein-langes-Passwort-42"


def _overdue(cli: Cli, network: str) -> int:
    messages = cli.ok("outbox", "--json", "--network", network)["messages"]
    return sum(1 for m in messages if m["kind"] in ("overdue", "escalation") and m["stage"] == "analysis")


def _sweep_on(day: dt.date) -> None:
    app = bootstrap(Settings())
    sweep(app, dt.datetime.combine(day, dt.time(9, 0), tzinfo=BERLIN))
    app.engine.dispose()


def test_an_extension_moves_the_due_date_for_reminders_audit_and_report(cli: Cli, tmp_path: Path) -> None:
    due = cli.ok("stage", "advance", NET, "analysis", "--json")["due"]
    cli.ok("stage", "advance", OTHER, "analysis")
    old = dt.date.fromisoformat(due)
    new = BusinessCalendar("SN").add_business_days(old, 10)

    refused = cli.fails("stage", "extend", NET, "analysis", "--until", new.isoformat(), "--reason", "Ferien",
                        "--by", "po@example.org")
    assert "kein aktiver Benutzer" in refused
    app = bootstrap(Settings())
    add_user(app, email="po@example.org", role="process_owner", password=PASSWORD, region="sn-muldenland")
    app.engine.dispose()
    assert "liegt nicht nach der bisherigen Frist" in cli.fails(
        "stage", "extend", NET, "analysis", "--until", old.isoformat(), "--reason", "x", "--by", "po@example.org")
    assert "--until: '31.11.2019' ist kein gültiges Datum" in cli.fails(
        "stage", "extend", NET, "analysis", "--until", "31.11.2019", "--reason", "x", "--by", "po@example.org")
    assert "nur die Frist einer offenen Stufe" in cli.fails(
        "stage", "extend", NET, "goals", "--until", new.isoformat(), "--reason", "x", "--by", "po@example.org")
    cli.now = dt.datetime(2019, 10, 1, 9, 0, tzinfo=BERLIN)  # four weeks on, the process owner extends
    extended = cli.ok("stage", "extend", NET, "analysis", "--until", new.isoformat(), "--reason",
                      "Schulträger neu gewählt", "--by", "po@example.org", "--json")
    assert (extended["previous_due"], extended["due"], extended["state"]) == (due, new.isoformat(), "open")
    shown = cli.ok("stage", "show", NET, "analysis", "--json")
    assert shown["due"] == new.isoformat()
    assert shown["events"][-1]["action"] == "deadline_extended"
    assert shown["events"][-1]["reason"] == "Schulträger neu gewählt"

    after_old = BusinessCalendar("SN").add_business_days(old, 2)
    _sweep_on(after_old)
    assert _overdue(cli, OTHER) > 0  # the same day, the unextended network is overdue …
    assert _overdue(cli, NET) == 0  # … the extended one is not
    _sweep_on(BusinessCalendar("SN").add_business_days(new, 2))
    assert _overdue(cli, NET) > 0  # overdue again after the new date

    report = tmp_path / "stand.csv"
    # VERBUND_NOW is 2019-09-02 in this world: a later report date is a "Vorausschau" (issue 16)
    cli.ok("report", "--as-of", after_old.isoformat(), "--allow-future", "--format", "csv", "-o", str(report))
    text = report.read_text(encoding="utf-8")
    assert "Frist verlängert" in text and new.isoformat() in text
    before = tmp_path / "vorher.csv"
    cli.ok("report", "--as-of", "2019-09-20", "--allow-future", "--format", "csv", "-o", str(before))
    text = before.read_text(encoding="utf-8")  # as of a day before the extension: the old date, not extended
    assert "Frist verlängert" not in text and due in text and new.isoformat() not in text
