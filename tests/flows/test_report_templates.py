"""The report on an NRW demo database (``verbund demo --template nrw-bildungsnetzwerk``, run in this
process on the session's Prefect harness): the summary names the NRW stages and says nothing of
Förderschwerpunkte, consultations or protocols; a Saxon network in the same database brings them back."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from rich.console import Console

from verbund.flows.runtime import use_app
from verbund.flows.trigger import EmbeddedTrigger
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region
from verbund.services.report import build_report
from verbund.services.report.tables import report_tables

pytestmark = pytest.mark.slow  # long: runs the whole NRW demo

START = dt.datetime(2019, 9, 2, 8, tzinfo=BERLIN)
FINAL = dt.date(2021, 3, 31)
MIDDLE = dt.date(2020, 3, 31)  # the first conference and report done, the second year not begun
NRW_STAGES = ("Kooperationsvertrag", "Lenkungskreis konstituiert", "Handlungsfelder vereinbart",
              "Arbeitsplan des Bildungsbüros", "Regionale Bildungskonferenz (jährlich)",
              "Bericht der Bezirkskoordination (jährlich)")


@pytest.fixture(scope="module")
def nrw_demo(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    from verbund.cli.demo import run_demo

    folder = tmp_path_factory.mktemp("nrw-report")
    trigger = EmbeddedTrigger()
    app = bootstrap(Settings(database_url=f"sqlite:///{folder / 'demo.db'}"), clock=ManualClock(START),
                    trigger=trigger)
    use_app(app)
    try:
        result = run_demo(app, start=START, console=Console(file=io.StringIO()), template="nrw-bildungsnetzwerk")
        assert result.ok, (result.failures, result.completed, result.expected)
        yield app
    finally:
        use_app(None)
        app.engine.dispose()


def test_the_nrw_summary_names_its_stages_and_no_foerderschwerpunkt(nrw_demo: App) -> None:
    summary = build_report(nrw_demo, FINAL).summary

    assert "Förderschwerpunkt" not in summary
    assert "Beratung" not in summary and "Protokoll" not in summary
    assert "Regionale Bildungsnetzwerke (Nordrhein-Westfalen) (2 Verbünde), Stufen: " in summary
    for title in NRW_STAGES:
        assert f"{title}: 2 beendet" in summary, title
    assert "Regionale Bildungskonferenz (jährlich): 2 beendet, zuletzt Durchlauf 2" in summary
    assert "Bericht der Bezirkskoordination (jährlich): 2 beendet, zuletzt Durchlauf 2" in summary


def test_a_year_earlier_the_second_cycle_has_not_begun(nrw_demo: App) -> None:
    report = build_report(nrw_demo, MIDDLE)

    assert "Regionale Bildungskonferenz (jährlich): 2 beendet;" in report.summary
    assert "zuletzt Durchlauf" not in report.summary
    later = build_report(nrw_demo, FINAL, compare_to=MIDDLE)
    assert later.changes and not [c for c in later.changes if "Förderschwerpunkte" in c.what]


def test_the_nrw_tables_have_no_saxon_columns(nrw_demo: App) -> None:
    headers = {table.key: table.headers for table in report_tables(build_report(nrw_demo, FINAL))}

    for key in ("laender-abdeckung", "regionen-abdeckung"):
        assert "Förderschwerpunkte (von 7)" not in headers[key]
        assert "Beratungen durchgeführt" not in headers[key]
        assert "öffentliche Schulen" in headers[key]


def test_a_saxon_network_in_the_same_database_brings_the_foerderschwerpunkte_back(nrw_demo: App) -> None:
    build_sample_region(nrw_demo, at=dt.datetime(2021, 4, 1, 9, tzinfo=BERLIN))

    report = build_report(nrw_demo, dt.date(2021, 4, 2))

    assert "Förderschwerpunkte" in report.summary
    assert "konstituierende Beratungen haben stattgefunden" in report.summary
    assert "Kooperationsverbünde Inklusion (Sachsen) (4 Verbünde), Stufen: Analyse: 4 ausstehend" in report.summary
    assert "Regionale Bildungsnetzwerke (Nordrhein-Westfalen) (2 Verbünde)" in report.summary
    headers = {table.key: table.headers for table in report_tables(report)}
    assert "Förderschwerpunkte (von 7)" in headers["laender-abdeckung"]
