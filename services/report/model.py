"""The report's figures as plain, comparable values (no ORM objects, no clock).

Glossary: Stichtag → ``as_of``; Land → ``state``; Förderschwerpunkt → ``special_need``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SPECIAL_NEEDS: tuple[str, ...] = (
    "Lernen",
    "Sprache",
    "emotionale und soziale Entwicklung",
    "geistige Entwicklung",
    "körperliche und motorische Entwicklung",
    "Hören",
    "Sehen",
)
NOT_STARTED = "not_started"
FINISHED = "finished"
NOT_STARTED_LABEL = "nicht begonnen"
FINISHED_LABEL = "alle Stufen beendet"
LAND_NAMES: dict[str, str] = {
    "BB": "Brandenburg", "BE": "Berlin", "BW": "Baden-Württemberg", "BY": "Bayern", "HB": "Bremen",
    "HE": "Hessen", "HH": "Hamburg", "MV": "Mecklenburg-Vorpommern", "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz", "SH": "Schleswig-Holstein", "SL": "Saarland",
    "SN": "Sachsen", "ST": "Sachsen-Anhalt", "TH": "Thüringen",
}


@dataclass(frozen=True)
class StageCell:
    """One stage of one network as of the date."""

    stage: str
    title: str
    cycle: int
    state: str
    opened: dt.date | None
    due: dt.date | None
    finished: dt.date | None  # completed or waived
    on_time: bool | None  # completed on or before its due date; None unless completed
    overdue: bool
    extended: bool = False  # the due date was extended (issue 13): ``due`` is the extended one


@dataclass(frozen=True)
class NetworkRow:
    slug: str
    name: str
    region: str
    state: str
    template: str
    reached: str  # a stage name, NOT_STARTED or FINISHED
    stages: tuple[StageCell, ...]
    member_schools: int


@dataclass(frozen=True)
class Messages:
    """Outbox figures; ``None`` when the database has no outbox."""

    sent: int
    failed: int


@dataclass(frozen=True)
class AreaFigures:
    """The figures of a region, a Land or the whole report."""

    key: str
    name: str
    state: str
    networks: int
    by_stage: tuple[tuple[str, int], ...]  # (reached category, networks), in stage order
    on_time: int
    late: int
    waived: int
    overdue: int
    schools_in_scope: int
    schools_assigned: int
    consultations_held: int
    protocols_published: int
    special_needs: tuple[str, ...]  # covered Förderschwerpunkte
    messages: Messages | None
    schools_not_imported: int = 0  # in-scope rows the importer could not store (issue 16)

    @property
    def coverage_percent(self) -> float | None:
        if not self.schools_in_scope:
            return None
        return round(100.0 * self.schools_assigned / self.schools_in_scope, 1)

    @property
    def completed(self) -> int:
        return self.on_time + self.late

    @property
    def missing_special_needs(self) -> tuple[str, ...]:
        return tuple(need for need in SPECIAL_NEEDS if need not in self.special_needs)

    def count(self, category: str) -> int:
        return dict(self.by_stage).get(category, 0)


@dataclass(frozen=True)
class Figures:
    """Everything the report states for one date."""

    as_of: dt.date
    region: str | None
    categories: tuple[tuple[str, str], ...]  # (reached category, German label), in order
    total: AreaFigures
    lands: tuple[AreaFigures, ...]
    regions: tuple[AreaFigures, ...]
    networks: tuple[NetworkRow, ...]
    completions: tuple[tuple[dt.date, str, int], ...]  # (day, stage, completions that day)


@dataclass(frozen=True)
class Change:
    """One difference between the comparison date and the report date."""

    where: str  # the region's or the network's name
    what: str
    before: str | int | float  # numbers stay numbers (XLSX cells, issue 17)
    after: str | int | float


@dataclass(frozen=True)
class Report:
    figures: Figures
    summary: str
    compare_to: dt.date | None = None
    previous: Figures | None = None
    changes: tuple[Change, ...] = field(default_factory=tuple)
    forecast: tuple[Any, ...] = ()  # issue 19: ``forecast_section.ForecastSection`` per target date
    preview: bool = False  # the date lies in the future (``--allow-future``): "Vorausschau" (issue 16)

    @property
    def title(self) -> str:
        return ("Vorausschau: " if self.preview else "") + "Stand des Aufbaus der Kooperationsverbünde"

    @property
    def as_of(self) -> dt.date:
        return self.figures.as_of
