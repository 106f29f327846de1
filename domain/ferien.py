"""A Land's school holidays (Schulferien), where they come from and which days they cover. Pure.

Sources, lowest precedence first: ``domain/data/schulferien.csv`` (Saxony 2018–2021, the demo's
calendar), ``domain/data/schulferien/XX.json`` (every Land 2019/20–2028, Open Holiday API, ODbL:
see ``data/schulferien/README.md``), and periods imported from a Land's official iCalendar file
(``verbund ferien import``, stored in the domain database as ``SchoolHolidayPeriod``). A source
replaces the lower ones for the days it covers (from its first to its last Ferientag).

Outside the covered days nothing is known: such a day counts as a school day, and the calendar
remembers the year so that the caller can warn once (``SchoolHolidays.warnings``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from verbund.domain.business_days import LAENDER, BusinessCalendar
from verbund.domain.columns import UTCDateTime, new_id

LEGACY_SOURCE = "schulferien.csv (Sachsen 2018–2021)"
SHIPPED_SOURCE = "Open Holiday API (ODbL)"
ATTRIBUTION = ("Enthält Informationen der Open Holiday API, die hier unter der Open Database License (ODbL) "
               "zur Verfügung gestellt werden.")


@dataclass(frozen=True)
class Period:
    """Ferien from ``first`` to ``last`` (both inclusive), and where the dates come from."""

    name: str
    first: dt.date
    last: dt.date
    source: str = ""


@dataclass(frozen=True)
class Layer:
    """The periods of one source and the days it covers (``first``–``last``)."""

    source: str
    periods: tuple[Period, ...]
    covers: tuple[dt.date, dt.date] | None = None  # default: first to last Ferientag of the periods

    @property
    def span(self) -> tuple[dt.date, dt.date] | None:
        if self.covers is not None:
            return self.covers
        if not self.periods:
            return None
        return min(p.first for p in self.periods), max(p.last for p in self.periods)


@dataclass(frozen=True)
class SchoolHolidays:
    """A Land's school holidays as inclusive date ranges, and the days the sources cover."""

    periods: tuple[Period, ...] = ()
    coverage: tuple[tuple[dt.date, dt.date], ...] = ()
    state: str = ""
    outside: set[int] = field(default_factory=set, compare=False, hash=False)  # years asked, not covered

    def covers(self, day: dt.date) -> bool:
        return any(first <= day <= last for first, last in self.coverage)

    def contains(self, day: dt.date) -> bool:
        """Is ``day`` a Ferientag? A day outside the coverage is not, and its year is remembered."""
        if not self.covers(day):
            self.outside.add(day.year)
            return False
        return any(p.first <= day <= p.last for p in self.periods)

    def first_school_day(self, day: dt.date, calendar: BusinessCalendar) -> dt.date:
        """``day`` if it is a school day, else the first business day after it outside the holidays."""
        while not calendar.is_business_day(day) or self.contains(day):
            day += dt.timedelta(days=1)
        return day

    def warnings(self) -> list[str]:
        """One German sentence per Land for the years a computation needed but no source covers."""
        if not self.outside:
            return []
        years = ", ".join(str(year) for year in sorted(self.outside))
        known = "; ".join(f"{a:%d.%m.%Y}–{b:%d.%m.%Y}" for a, b in self.coverage) or "keine"
        return [f"Schulferien {self.state or '?'} für {years} nicht bekannt (bekannt: {known}); diese Tage "
                f"gelten als Schultage. Abhilfe: verbund ferien import DATEI.ics --land {self.state or 'XX'}"]


def stage_due(calendar: BusinessCalendar, holidays: SchoolHolidays | None, start: dt.date,
              business_days: int) -> dt.date:
    """A stage's due date: ``business_days`` after ``start``; for a stage that waits for schools
    (``holidays`` given), a date in the Schulferien moves to the first school day after."""
    due = calendar.add_business_days(start, business_days)
    if holidays is not None and holidays.contains(due):
        return holidays.first_school_day(due, calendar)
    return due


def merge(state: str, layers: list[Layer]) -> SchoolHolidays:
    """Stack the layers (lowest precedence first): each replaces the lower ones on the days it covers
    (a lower period reaching into them keeps only its days outside). The coverage is the union of the
    layers' spans."""
    periods: list[Period] = []
    spans: list[tuple[dt.date, dt.date]] = []
    for layer in layers:
        span = layer.span
        if span is None:
            continue
        periods = [part for p in periods for part in _outside(p, span)] + list(layer.periods)
        spans.append(span)
    return SchoolHolidays(tuple(sorted(periods, key=lambda p: (p.first, p.last))), _union(spans), state)


def _outside(period: Period, span: tuple[dt.date, dt.date]) -> list[Period]:
    """The parts of ``period`` before and after ``span``."""
    one = dt.timedelta(days=1)
    parts = []
    if period.first < span[0]:
        parts.append(Period(period.name, period.first, min(period.last, span[0] - one), period.source))
    if period.last > span[1]:
        parts.append(Period(period.name, max(period.first, span[1] + one), period.last, period.source))
    return parts


def _union(spans: list[tuple[dt.date, dt.date]]) -> tuple[tuple[dt.date, dt.date], ...]:
    merged: list[tuple[dt.date, dt.date]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return tuple(merged)


def parse_school_holidays_csv(text: str, state: str, where: str = "schulferien.csv") -> Layer:
    """Rows ``land,name,first_day,last_day`` of ``state``; errors name the line."""
    periods = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            if row["land"] != state:
                continue
            first, last = dt.date.fromisoformat(row["first_day"]), dt.date.fromisoformat(row["last_day"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{where}, Zeile {number}: ungültige Ferienzeile ({error})") from error
        if last < first:
            raise ValueError(f"{where}, Zeile {number}: letzter Ferientag vor dem ersten")
        periods.append(Period(row["name"], first, last, LEGACY_SOURCE))
    return Layer(LEGACY_SOURCE, tuple(periods))


def parse_open_holiday_json(text: str, where: str) -> Layer:
    """``{"metadata": {"state"}, "holidays": [{"name", "date", "endDate"}]}`` (both dates inclusive)."""
    data = json.loads(text)
    suffix = " " + str(data.get("metadata", {}).get("state", ""))
    periods = []
    for index, entry in enumerate(data["holidays"]):
        first, last = dt.date.fromisoformat(entry["date"]), dt.date.fromisoformat(entry["endDate"])
        if last < first:
            raise ValueError(f"{where}, Eintrag {index}: letzter Ferientag vor dem ersten")
        periods.append(Period(str(entry["name"]).removesuffix(suffix), first, last, SHIPPED_SOURCE))
    return Layer(SHIPPED_SOURCE, tuple(periods))


@lru_cache(maxsize=32)
def shipped_layers(state: str) -> tuple[Layer, ...]:
    """The Ferien the package ships for a Land (legacy CSV, then the Open Holiday API file)."""
    data = resources.files("verbund.domain").joinpath("data")
    layers = [parse_school_holidays_csv(data.joinpath("schulferien.csv").read_text(encoding="utf-8"), state)]
    if state in LAENDER:
        name = f"schulferien/{state}.json"
        layers.append(parse_open_holiday_json(data.joinpath(name).read_text(encoding="utf-8"), name))
    return tuple(layers)


def school_holidays(state: str, imported: tuple[Layer, ...] = ()) -> SchoolHolidays:
    """A fresh calendar of the Land: shipped files, then imported layers (highest precedence)."""
    return merge(state, [*shipped_layers(state), *imported])


class SchoolHolidayPeriod(SQLModel, table=True):
    """Ferien imported from a Land's official iCalendar file (``verbund ferien import``); the file's
    span (``covers_from``–``covers_to``) takes precedence over the shipped data."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    state: str = Field(max_length=2, index=True)
    name: str
    first_day: dt.date
    last_day: dt.date
    covers_from: dt.date
    covers_to: dt.date
    source: str  # file name
    imported_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def imported_layers(rows: list[SchoolHolidayPeriod]) -> tuple[Layer, ...]:
    """One layer per imported file span, in import order."""
    spans: dict[tuple[dt.date, dt.date, str], list[Period]] = {}
    for row in sorted(rows, key=lambda r: (r.imported_at, r.first_day)):
        label = f"Import {row.source} ({row.imported_at:%d.%m.%Y})"
        spans.setdefault((row.covers_from, row.covers_to, label), []).append(
            Period(row.name, row.first_day, row.last_day, label))
    return tuple(Layer(label, tuple(periods), (covers_from, covers_to))
                 for (covers_from, covers_to, label), periods in spans.items())
