"""The report on the demo's data: independent counts, a mid-demo date that stays put, PDF, XLSX, CSV.

The demo runs once for the module (about 30 s, real stage flows on the session's Prefect harness).
When its clock first passes the middle date, a copy of the database is taken: the report for that
date from the copy (the world as it was) must equal the one from the finished demo.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import text
from typer.testing import CliRunner

from verbund.domain.business_days import local_date
from verbund.flows.runtime import use_app
from verbund.flows.trigger import EmbeddedTrigger
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.settings import Settings
from verbund.services.report import Report, build_report, end_of_day, render
from verbund.services.report.model import SPECIAL_NEEDS
from verbund.services.report.tables import report_tables

pytestmark = pytest.mark.slow  # long: runs the whole demo region through every stage

MIDDLE = dt.date(2019, 10, 14)  # goals done everywhere, consultations not yet scheduled
FINAL = dt.date(2019, 12, 31)


@dataclass
class SnapshotTrigger:
    """Runs the stage flows; copies the database the first time an action happens after ``MIDDLE``."""

    source: Path
    copy: Path
    inner: EmbeddedTrigger = field(default_factory=EmbeddedTrigger)
    taken_at: dt.datetime | None = None

    @property
    def failures(self) -> list[str]:
        return self.inner.failures

    def __call__(self, network: str, stage: str, at: dt.datetime) -> None:
        if self.taken_at is None and at >= end_of_day(MIDDLE):
            with sqlite3.connect(self.source) as src, sqlite3.connect(self.copy) as dst:
                src.backup(dst)
            self.taken_at = at
        self.inner(network, stage, at)


@dataclass
class Demo:
    app: App
    snapshot: App
    trigger: SnapshotTrigger


@pytest.fixture(scope="module")
def demo(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    from verbund.cli.demo import run_demo

    folder = tmp_path_factory.mktemp("report-demo")
    trigger = SnapshotTrigger(folder / "demo.db", folder / "mitte.db")
    app = bootstrap(Settings(database_url=f"sqlite:///{trigger.source}"),
                    clock=ManualClock(dt.datetime(2019, 9, 2, 8, tzinfo=BERLIN)), trigger=trigger)
    use_app(app)
    try:
        result = run_demo(app)
        assert result.ok, result.failures
        assert trigger.taken_at is not None, "the demo never passed the middle date"
        snapshot = bootstrap(Settings(database_url=f"sqlite:///{trigger.copy}"), migrate_database=False)
        yield Demo(app, snapshot, trigger)
        snapshot.engine.dispose()
    finally:
        use_app(None)
        app.engine.dispose()


def _scalar(app: App, sql: str, **params: object) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


def test_the_final_figures_match_an_independent_count_from_the_database(demo: Demo) -> None:
    app = demo.app
    total = build_report(app, FINAL).figures.total
    assert total.networks == _scalar(app, "SELECT count(*) FROM network") == 4
    assert total.count("finished") == 4
    with app.engine.connect() as connection:
        runs = connection.execute(text("SELECT state, due, completed_at FROM stagerun")).all()
    completed = [(due, completed_at) for state, due, completed_at in runs if state == "completed"]
    on_time = sum(1 for due, completed_at in completed
                  if local_date(dt.datetime.fromisoformat(str(completed_at)).replace(tzinfo=dt.UTC))
                  <= dt.date.fromisoformat(str(due)))
    assert (total.on_time, total.late) == (on_time, len(completed) - on_time)
    assert total.completed == 20
    assert total.consultations_held == _scalar(app, "SELECT count(*) FROM consultation WHERE held_at IS NOT NULL")
    assert total.protocols_published == _scalar(app, "SELECT count(*) FROM protocol WHERE published_at IS NOT NULL")
    assert total.schools_in_scope == _scalar(
        app, "SELECT count(*) FROM organisation WHERE kind = 'public_school' AND closed_at IS NULL")
    assert total.schools_assigned == _scalar(
        app, "SELECT count(DISTINCT m.organisation_id) FROM membership m JOIN organisation o "
             "ON o.id = m.organisation_id WHERE o.kind = 'public_school' AND m.role != 'guest' AND m.valid_to IS NULL")
    with app.engine.connect() as connection:
        needs = connection.execute(text(
            "SELECT DISTINCT o.special_needs FROM organisation o JOIN membership m ON m.organisation_id = o.id "
            "WHERE m.role != 'guest' AND o.special_needs != '[]'")).scalars().all()
    assert set(total.special_needs) == {n for row in needs for n in __import__("json").loads(row)}
    assert set(total.special_needs) <= set(SPECIAL_NEEDS)
    assert total.messages is not None
    assert total.messages.sent == _scalar(app, "SELECT count(*) FROM outboxitem WHERE status = 'sent'")


def test_the_middle_date_matches_the_database_as_it_was_then(demo: Demo) -> None:
    figures = build_report(demo.app, MIDDLE).figures
    with demo.snapshot.engine.connect() as connection:
        states = connection.execute(text(
            "SELECT n.slug, r.stage, r.state FROM stagerun r JOIN network n ON n.id = r.network_id")).all()
    assert {(row.slug, cell.stage, cell.state) for row in figures.networks for cell in row.stages} == {
        (slug, stage, state) for slug, stage, state in states}
    assert figures.total.completed == _scalar(
        demo.snapshot, "SELECT count(*) FROM stagerun WHERE state = 'completed'") == 12
    assert figures.total.consultations_held == 0 and figures.total.protocols_published == 0


def test_a_report_for_the_middle_date_stays_identical_after_the_demo_finished(demo: Demo) -> None:
    then = build_report(demo.snapshot, MIDDLE, compare_to=dt.date(2019, 9, 20))
    now = build_report(demo.app, MIDDLE, compare_to=dt.date(2019, 9, 20))
    for fmt in ("md", "csv"):
        assert render(now, fmt) == render(then, fmt)
    assert now.figures == then.figures and now.changes == then.changes
    # ... while the history did move on after the middle date:
    assert build_report(demo.app, FINAL).figures != now.figures
    assert _scalar(demo.app, "SELECT count(*) FROM auditevent WHERE at >= :cut",
                   cut=end_of_day(MIDDLE).astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")) > 0


def test_the_pdf_holds_the_title_the_date_and_every_network_name(demo: Demo, tmp_path: Path) -> None:
    report = build_report(demo.app, MIDDLE, compare_to=dt.date(2019, 9, 20))
    reader = PdfReader(io.BytesIO(render(report, "pdf")))
    content = "\n".join(page.extract_text() for page in reader.pages)
    flat = " ".join(content.split())
    assert "Stand des Aufbaus der Kooperationsverbünde" in flat
    assert "Stichtag 14.10.2019" in flat
    for row in report.figures.networks:
        assert row.name in flat, row.name
    assert "Inhalt" in flat and "Zusammenfassung" in flat
    assert f"Seite {len(reader.pages)} von {len(reader.pages)}" in flat
    assert len(reader.outline) >= 5  # sections in the table of contents / bookmarks


def _xlsx_value(value: object) -> object:
    return value.date() if isinstance(value, dt.datetime) else value


def test_the_xlsx_reads_back_with_the_same_numbers_and_real_dates(demo: Demo) -> None:
    report = build_report(demo.app, FINAL, compare_to=MIDDLE)
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    tables = report_tables(report)
    assert book.sheetnames[:6] == ["Zusammenfassung", "Länder – Stufen", "Länder – Abdeckung", "Regionen – Stufen",
                                   "Regionen – Abdeckung", "Verbünde"]
    assert len(book.sheetnames) == len(tables) + 1 and all(name[0].isupper() for name in book.sheetnames)
    assert not {t.key for t in tables} & set(book.sheetnames)
    assert _xlsx_value(book["Zusammenfassung"]["B2"].value) == FINAL
    for table, name in zip(tables, book.sheetnames[1:], strict=True):
        rows = list(book[name].iter_rows(values_only=True))
        assert rows[0] == table.headers
        assert [tuple(_xlsx_value(v) for v in row) for row in rows[1:]] == [tuple(r) for r in table.rows]
    sheet = book["Regionen – Abdeckung"]
    assert isinstance(sheet["C2"].value, int) and sheet["C2"].value == report.figures.regions[0].schools_in_scope
    dates = [c for c in book["Verbünde"]["G"][1:]]
    assert dates and all(c.is_date for c in dates)


def test_the_csv_carries_every_number_of_the_tables(demo: Demo) -> None:
    report = build_report(demo.app, FINAL)
    rows = list(csv.DictReader(io.StringIO(render(report, "csv").decode("utf-8"))))
    assert list(rows[0]) == ["Stichtag", "Tabelle", "Zeile", "Spalte", "Wert"]
    networks = [r for r in rows if r["Tabelle"] == "Länder – Stufen" and r["Spalte"] == "Verbünde"]
    assert [r["Wert"] for r in networks] == ["4", "4"]  # Sachsen, Gesamt
    assert {r["Stichtag"] for r in rows} == {"2019-12-31"}
    assert {r["Tabelle"] for r in rows} == {"Zusammenfassung", *(t.sheet_name for t in report_tables(report) if t.rows)}


def _report_html(report: Report) -> str:
    return render(report, "html").decode("utf-8")


def test_the_html_is_self_contained_with_both_charts(demo: Demo) -> None:
    page = _report_html(build_report(demo.app, FINAL, region="sn-muldenland"))
    assert page.count("data:image/png;base64,") == 2
    assert "Kooperationsverbund Auental-Nord" in page and 'lang="de"' in page


def test_the_command_writes_the_report_and_refuses_bad_input(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verbund.cli.main import app as cli

    monkeypatch.setenv("VERBUND_DATABASE_URL", str(demo.app.engine.url))
    runner = CliRunner()
    target = tmp_path / "bericht.xlsx"
    done = runner.invoke(cli, ["report", "--as-of", "2019-10-14", "--region", "sn-muldenland",
                               "--compare-to", "2019-09-20", "--format", "xlsx", "-o", str(target)])
    assert done.exit_code == 0, done.output
    assert "Bericht geschrieben" in done.output and target.stat().st_size > 0
    assert load_workbook(target)["Zusammenfassung"]["B2"].value.date() == MIDDLE
    wrong = runner.invoke(cli, ["report", "--as-of", "14.13.2019", "--format", "pdf", "-o", str(target)])
    assert wrong.exit_code == 1
    assert "--as-of: '14.13.2019' ist kein gültiges Datum" in wrong.output
