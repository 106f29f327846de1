"""Exports stay data: a name beginning with = + - @ is text in the XLSX and the CSV (OWASP), numbers
stay numbers, and the Markdown report escapes HTML from names."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from verbund.domain.models import Network
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.report import build_report, render
from verbund.services.report.sheets import neutralise
from verbund.services.stages.lifecycle import reconcile_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
HOSTILE = ["=HYPERLINK(\"http://x.example\",\"Klick\")", "<script>alert(1)</script> & Co", "@cmd", "+SUM(1,2)", "-2+3"]


@pytest.fixture
def report_app(app: App) -> App:
    networks = build_sample_region(app, at=START).networks
    with app.uow(write=True) as uow:
        for network, name in zip(uow.session.exec(select(Network).order_by(Network.slug)).all(), HOSTILE, strict=False):
            network.name = name
            uow.session.add(network)
        uow.commit()
    for network in networks:
        reconcile_stage(app, network, "analysis", START)
    return app


def test_neutralise_touches_only_text_that_would_start_a_formula() -> None:
    assert [neutralise(v) for v in ("=1+1", "+1", "-1", "@a", "\tx", "Zwickau", "")] == [
        "'=1+1", "'+1", "'-1", "'@a", "'\tx", "Zwickau", ""]


def test_the_xlsx_has_no_formula_and_keeps_numbers_as_numbers(report_app: App) -> None:
    data = render(build_report(report_app, dt.date(2019, 12, 31)), "xlsx")
    book = load_workbook(io.BytesIO(data))
    texts, numbers = [], 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                numbers += isinstance(cell.value, int | float)
    assert numbers > 0
    shown = [t for t in texts if "HYPERLINK" in t or "@cmd" in t]
    assert shown and all(t.startswith("'") for t in shown if t.lstrip("'")[:1] in "=+-@")


def test_the_csv_has_no_cell_a_spreadsheet_would_run(report_app: App) -> None:
    data = render(build_report(report_app, dt.date(2019, 12, 31)), "csv").decode("utf-8")
    values = [row[-1] for row in csv.reader(io.StringIO(data))]
    assert any("HYPERLINK" in v for v in values)
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@")]


def test_the_markdown_report_escapes_html_from_names(report_app: App) -> None:
    text = render(build_report(report_app, dt.date(2019, 12, 31)), "md").decode("utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in text
