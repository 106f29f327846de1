"""The report's tables as typed cells, shared by every renderer (numbers stay numbers, dates dates)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from verbund.domain.errors import TemplateError
from verbund.domain.process import load_template
from verbund.domain.stages import STATE_LABELS
from verbund.services.report.forecast_section import forecast_tables
from verbund.services.report.model import (
    FINISHED,
    FINISHED_LABEL,
    LAND_NAMES,
    NOT_STARTED,
    NOT_STARTED_LABEL,
    AreaFigures,
    Figures,
    NetworkRow,
    Report,
)
from verbund.services.report.summary import meetings_apply, special_needs_apply

# A network table has three columns per stage, named "<stage title><suffix>" (the PDF merges them).
STATE_SUFFIX, DUE_SUFFIX, DONE_SUFFIX = ": Zustand", ": fällig", ": beendet"


class Month(dt.date):
    """A calendar month, kept as its first day: a real date cell in XLSX, shown as ``MM.JJJJ``."""

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month, 1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1, 1)


Cell = str | int | float | dt.date | None


@dataclass(frozen=True)
class Table:
    key: str  # short, unique, ASCII: anchors in HTML, for programs
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    name: str = ""  # German display name: the XLSX sheet and the CSV's "Tabelle" (the title if empty)

    @property
    def sheet_name(self) -> str:
        """The display name as a spreadsheet allows it: at most 31 characters, none of ``[]:*?/\\``."""
        return SHEET_FORBIDDEN.sub("", self.name or self.title).strip()[:31].strip()


SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def report_tables(report: Report) -> list[Table]:
    figures = report.figures
    lands = [*figures.lands, figures.total]
    templates = sorted({row.template for row in figures.networks})
    saxon_only = _saxon_only_columns(templates)  # issue 8: no Förderschwerpunkte for NRW networks
    tables = [
        _named(_stage_table("laender-stufen", "Länder: Verbünde nach erreichter Stufe", figures, lands),
               "Länder – Stufen"),
        _named(_without(_activity_table("laender-abdeckung", "Länder: Abdeckung und Aktivität", lands), saxon_only),
               "Länder – Abdeckung"),
        _named(_stage_table("regionen-stufen", "Regionen: Verbünde nach erreichter Stufe", figures,
                            list(figures.regions)), "Regionen – Stufen"),
        _named(_without(_activity_table("regionen-abdeckung", "Regionen: Abdeckung und Aktivität",
                                        list(figures.regions)), saxon_only), "Regionen – Abdeckung"),
    ]
    region_names = {area.key: area.name for area in figures.regions}  # the report speaks in names, not slugs
    for index, template in enumerate(templates, start=1):
        rows = [row for row in figures.networks if row.template == template]
        key = "verbuende" if len(templates) == 1 else f"verbuende-{index}"
        name = template_name(template)
        tables.append(_named(_network_table(key, f"Verbünde ({name}): Stufen und Termine", rows, region_names),
                             "Verbünde" if len(templates) == 1 else f"Verbünde {index} – {name}"))
    tables.append(_named(_completions_table(figures), "Abschlüsse je Monat"))
    tables.extend(forecast_tables(report.forecast))  # issue 19: "Prognose zum <Zieldatum>"
    if report.previous is not None:
        tables.append(Table(
            "veraenderungen", f"Veränderungen seit dem {report.previous.as_of:%d.%m.%Y}",
            ("Region/Verbund", "Was", "vorher", "nachher"),
            tuple((c.where, c.what, c.before, c.after) for c in report.changes), "Veränderungen",
        ))
    return tables


def _named(table: Table, name: str) -> Table:
    return Table(table.key, table.title, table.headers, table.rows, name)


def template_name(key: str) -> str:
    """A template's German name (``Kooperationsverbünde Inklusion (Sachsen)``); its key if it is gone."""
    try:
        return load_template(key).name
    except TemplateError:
        return key


def _place(area: AreaFigures) -> tuple[Cell, Cell]:
    if area.key == "gesamt":
        return ("Gesamt", None)
    if area.key == area.state:
        return (LAND_NAMES.get(area.state, area.state), None)
    return (area.state, area.name)


def _stage_table(key: str, title: str, figures: Figures, areas: list[AreaFigures]) -> Table:
    headers = ("Land", "Region", "Verbünde", *(label for _c, label in figures.categories),
               "fristgerecht abgeschlossen", "verspätet abgeschlossen", "erlassen", "überfällig")
    rows = tuple(
        (*_place(a), a.networks, *(count for _c, count in a.by_stage), a.on_time, a.late, a.waived, a.overdue)
        for a in areas
    )
    return Table(key, title, headers, rows)


def _activity_table(key: str, title: str, areas: list[AreaFigures]) -> Table:
    headers = ("Land", "Region", "öffentliche Schulen", "zugeordnet", "Abdeckung %", "nicht importiert",
               "Beratungen durchgeführt",
               "Protokolle veröffentlicht", "Förderschwerpunkte (von 7)", "fehlende Förderschwerpunkte",
               "Nachrichten versandt", "Nachrichten fehlgeschlagen")
    rows = tuple(
        (*_place(a), a.schools_in_scope, a.schools_assigned, a.coverage_percent, a.schools_not_imported,
         a.consultations_held,
         a.protocols_published, len(a.special_needs), ", ".join(a.missing_special_needs) or "—",
         a.messages.sent if a.messages else "nicht verfügbar", a.messages.failed if a.messages else "nicht verfügbar")
        for a in areas
    )
    return Table(key, title, headers, rows)


def _saxon_only_columns(templates: list[str]) -> set[str]:
    """Activity columns that do not apply to networks of these templates (``services.report.summary``)."""
    hidden = set()
    if templates and not meetings_apply(templates):
        hidden |= {"Beratungen durchgeführt", "Protokolle veröffentlicht"}
    if templates and not special_needs_apply(templates):
        hidden |= {"Förderschwerpunkte (von 7)", "fehlende Förderschwerpunkte"}
    return hidden


def _without(table: Table, headers: set[str]) -> Table:
    keep = [index for index, header in enumerate(table.headers) if header not in headers]
    return Table(table.key, table.title, tuple(table.headers[i] for i in keep),
                 tuple(tuple(row[i] for i in keep) for row in table.rows), table.name)


def _network_table(key: str, title: str, rows: list[NetworkRow], region_names: dict[str, str]) -> Table:
    stages = rows[0].stages if rows else ()
    headers: list[str] = ["Verbund", "Kennung", "Region", "Stand", "öffentliche Schulen"]
    for cell in stages:
        headers += [f"{cell.title}{STATE_SUFFIX}", f"{cell.title}{DUE_SUFFIX}", f"{cell.title}{DONE_SUFFIX}"]
    labels = {cell.stage: cell.title for row in rows for cell in row.stages}
    body = []
    for row in rows:
        values: list[Cell] = [row.name, row.slug, region_names.get(row.region, row.region), _reached_label(row, labels),
                              row.member_schools]
        for cell in row.stages:
            state = STATE_LABELS.get(cell.state, cell.state)
            if cell.overdue:
                state += " (überfällig)"
            elif cell.on_time is False:
                state += " (verspätet)"
            if cell.extended:
                state += " (Frist verlängert)"
            values += [state, cell.due, cell.finished]
        body.append(tuple(values))
    return Table(key, title, tuple(headers), tuple(body))


def _reached_label(row: NetworkRow, labels: dict[str, str]) -> str:
    return {NOT_STARTED: NOT_STARTED_LABEL, FINISHED: FINISHED_LABEL}.get(row.reached) or labels.get(
        row.reached, row.reached)


def _completions_table(figures: Figures) -> Table:
    """Stage completions per month (every month from the first completion to the date), with the running total."""
    stages = [(category, label) for category, label in figures.categories if category not in (NOT_STARTED, FINISHED)]
    per_month: dict[tuple[Month, str], int] = {}
    for day, stage, count in figures.completions:
        key = (Month.of(day), stage)
        per_month[key] = per_month.get(key, 0) + count
    rows: list[tuple[Cell, ...]] = []
    running = 0
    month = Month.of(figures.completions[0][0]) if figures.completions else None
    last = Month.of(figures.as_of)
    while month is not None and month <= last:
        counts = [per_month.get((month, stage), 0) for stage, _label in stages]
        running += sum(counts)
        rows.append((month, *counts, sum(counts), running))
        month = month.next()
    return Table("abschluesse", "Abgeschlossene Stufen je Monat",
                 ("Monat", *(label for _stage, label in stages), "zusammen", "kumuliert"), tuple(rows))
