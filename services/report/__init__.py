"""The ministry's build-out report ("Stand des Aufbaus der Kooperationsverbünde"), as of any date.

``build_report`` rebuilds every figure from the event history for the end of a day
(Europe/Berlin, domain time) and optionally a comparison date; ``render`` turns it into md, html,
pdf, xlsx or csv; ``write_report`` does both and writes the file atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

from sqlmodel import select

from verbund.domain import dates
from verbund.domain.errors import InvalidInput, NotFound
from verbund.domain.models import Region
from verbund.services.app.bootstrap import App
from verbund.services.report.charts import charts
from verbund.services.report.figures import compute, end_of_day
from verbund.services.report.forecast_section import ForecastSection, forecast_sections
from verbund.services.report.history import RegionRecord, load_history
from verbund.services.report.markup import html, markdown
from verbund.services.report.model import Change, Figures, Report
from verbund.services.report.pdf import pdf
from verbund.services.report.sheets import csv_text, xlsx
from verbund.services.report.summary import changes, summarise
from verbund.services.report.tables import report_tables

FORMATS = ("md", "html", "pdf", "xlsx", "csv")

__all__ = [
    "FORMATS",
    "Change",
    "Figures",
    "Report",
    "build_report",
    "check_format",
    "check_report_dates",
    "end_of_day",
    "parse_day",
    "render",
    "summary_markdown",
    "write_report",
]


def parse_day(value: str, what: str = "--as-of") -> dt.date:
    """A calendar day (``domain.dates``: German or ISO); anything else is refused naming the option."""
    return dates.parse_day(value, what)


def check_format(value: str) -> str:
    fmt = value.strip().lower()
    if fmt not in FORMATS:
        raise InvalidInput(f"--format: '{value}' unbekannt (erlaubt: {', '.join(FORMATS)})")
    return fmt


def check_report_dates(as_of: dt.date, compare_to: dt.date | None, today: dt.date, *,
                       allow_future: bool = False) -> bool:
    """A report date after today is refused unless ``allow_future`` (then it is a "Vorausschau": True);
    a comparison date after the report date is refused."""
    if compare_to is not None and compare_to > as_of:
        raise InvalidInput(f"--compare-to: {compare_to:%d.%m.%Y} liegt nach dem Stichtag --as-of "
                           f"{as_of:%d.%m.%Y}; der Vergleichsstichtag muss davor liegen")
    if as_of > today and not allow_future:
        raise InvalidInput(f"--as-of: {as_of:%d.%m.%Y} liegt nach heute ({today:%d.%m.%Y}); für eine "
                           "Vorausschau --allow-future angeben")
    return as_of > today


def build_report(
    app: App, as_of: dt.date, *, region: str | None = None, compare_to: dt.date | None = None,
    preview: bool = False,
) -> Report:
    """The report's figures for the end of ``as_of`` (and of ``compare_to``), from one read of the history."""
    with app.uow() as uow:
        session = uow.session
        record = None
        if region is not None:
            found = session.exec(select(Region).where(Region.slug == region)).first()
            if found is None:
                raise NotFound("Region", region)
            record = RegionRecord(found.id, found.slug, found.name, found.state)
        history = load_history(session, record)
    figures = compute(history, as_of, region)
    previous = compute(history, compare_to, region) if compare_to is not None else None
    summary = summarise(figures, previous)
    if preview:
        summary = (f"Vorausschau: der Stichtag {as_of:%d.%m.%Y} liegt in der Zukunft; die Zahlen zeigen den heute "
                   f"bekannten Stand mit den bis dahin geplanten Fristen. {summary}")
    return Report(
        figures=figures,
        summary=summary,
        preview=preview,
        compare_to=compare_to,
        previous=previous,
        changes=changes(previous, figures) if previous is not None else (),
        forecast=_forecast(app, as_of, region, len(figures.networks)),
    )


def _forecast(app: App, as_of: dt.date, region: str | None, total: int) -> tuple[ForecastSection, ...]:
    """The section "Prognose zum <Zieldatum>" as of the report's date (issue 19)."""
    from verbund.services.forecast.run import run_forecast

    data = run_forecast(app, as_of=as_of, region=region, with_target_only=True)
    return forecast_sections(data["networks"], total)


def render(report: Report, fmt: str) -> bytes:
    fmt = check_format(fmt)
    tables = report_tables(report)
    if fmt == "md":
        return markdown(report, tables).encode("utf-8")
    if fmt == "csv":
        return csv_text(report, tables).encode("utf-8")
    if fmt == "xlsx":
        return xlsx(report, tables)
    drawn = charts(report.figures)
    if fmt == "html":
        return html(report, tables, drawn).encode("utf-8")
    return pdf(report, tables, drawn)


def write_report(
    app: App, as_of: dt.date, fmt: str, output: Path, *, region: str | None = None,
    compare_to: dt.date | None = None, preview: bool = False,
) -> Report:
    """Build, render and write the report; the file appears complete or not at all."""
    fmt = check_format(fmt)
    folder = output.expanduser().resolve().parent
    if not folder.is_dir():
        raise InvalidInput(f"-o: Verzeichnis '{folder}' für die Ausgabedatei existiert nicht")
    report = build_report(app, as_of, region=region, compare_to=compare_to, preview=preview)
    data = render(report, fmt)
    target = output.expanduser()
    temporary = folder / f".{target.name}.{uuid.uuid4().hex}.tmp"
    try:
        with temporary.open("xb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return report


def summary_markdown(report: Report) -> str:
    """The summary with its date, for a Prefect markdown artifact."""
    from verbund.services.report.markup import subtitle

    return f"# {report.title}\n\n**{subtitle(report)}**\n\n{report.summary}\n"
