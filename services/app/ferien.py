"""Schulferien: importing a Land's official iCalendar file, listing what is known, and the calendars
every computation for schools uses (shipped files plus imports; ``domain.ferien``).

``calendars(session)`` gives fresh calendars per call: each remembers the years it was asked about
but does not cover, and ``warnings_of`` turns those into one sentence per Land.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from verbund.domain.business_days import LAENDER
from verbund.domain.dates import FIRST_YEAR, LAST_YEAR
from verbund.domain.errors import InvalidInput
from verbund.domain.ferien import Period, SchoolHolidayPeriod, SchoolHolidays, imported_layers, school_holidays
from verbund.services.app.bootstrap import App
from verbund.services.importers.base import shown, unstorable, visible

MAX_DAYS = 366  # no Ferien last longer than a year


class Calendars:
    """The Schulferien of each Land a computation asks for, loaded once per use (a sweep, a page)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._found: dict[str, SchoolHolidays] = {}

    def __call__(self, state: str) -> SchoolHolidays:
        if state not in self._found:
            rows = list(self._session.exec(select(SchoolHolidayPeriod).where(SchoolHolidayPeriod.state == state)).all())
            self._found[state] = school_holidays(state, imported_layers(rows))
        return self._found[state]

    def warnings(self) -> list[str]:
        return warnings_of(self._found.values())


def warnings_of(calendars: Iterable[SchoolHolidays]) -> list[str]:
    return [warning for calendar in calendars for warning in calendar.warnings()]


def _land(state: str) -> str:
    code = state.strip().upper()
    if code not in LAENDER:
        raise InvalidInput(f"--land: '{state}' ist kein Land (erlaubt: {', '.join(sorted(LAENDER))})")
    return code


def parse_ics(path: Path, notes: list[str] | None = None) -> list[Period]:
    """The Ferien of an iCalendar file: each VEVENT's SUMMARY, DTSTART and DTEND (exclusive for
    all-day events, RFC 5545). A file that is not iCalendar, or an event without usable dates (outside
    the years 1900–2199, a duration over a year), is refused naming the file and the event. A name
    holding a NUL byte or a lone surrogate is dropped (the event is "Ferien N") with a note."""
    import icalendar  # only to read a file (~25 ms at import): not for every command that counts days

    try:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
    except OSError as error:
        raise InvalidInput(f"Datei {visible(path.name)}: nicht lesbar ({error.strerror})") from error
    except RecursionError:
        raise InvalidInput(f"Datei {visible(path.name)}: kein gültiges iCalendar (.ics) (zu tief verschachtelt)"
                           ) from None
    except Exception as error:  # icalendar raises many kinds for a broken file (ValueError, AttributeError, …)
        raise InvalidInput(f"Datei {visible(path.name)}: kein gültiges iCalendar (.ics) ({shown(str(error), 120)})"
                           ) from error
    periods = []
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        name = str(event.get("SUMMARY", "")).strip() or f"Ferien {number}"
        if unstorable(name):
            if notes is not None:
                notes.append(f"Ereignis {number}: SUMMARY {unstorable(name)}; verworfen")
            name = f"Ferien {number}"
        where = f"Datei {visible(path.name)}, Ereignis {number} ({shown(name)})"
        first, last = _day(event, "DTSTART", where), _end(event, where)
        if last < first:
            raise InvalidInput(f"{where}: Ende vor dem Beginn")
        periods.append(Period(name, first, last, visible(path.name)))
    if not periods:
        raise InvalidInput(f"Datei {visible(path.name)}: enthält keine Ferien (kein VEVENT)")
    return sorted(periods, key=lambda p: p.first)


def _property(event: Any, key: str, where: str) -> object:
    """The parsed value of ``key`` (None when absent); an unparsable one names the event."""
    value = event.get(key)
    if value is None:
        return None
    try:
        return getattr(value, "dt", None)
    except Exception:  # BrokenCalendarProperty (year 10^20, a duration of 5,000 digits), broken parameters …
        raise InvalidInput(f"{where}: {key} ist kein gültiger Wert") from None


def _day(event: Any, key: str, where: str) -> dt.date:
    day = _property(event, key, where)
    if isinstance(day, dt.datetime):
        day = day.date()
    if not isinstance(day, dt.date):
        raise InvalidInput(f"{where}: {key} fehlt oder ist kein Datum")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(f"{where}: {key} {day:%d.%m.%Y} liegt außerhalb der Jahre {FIRST_YEAR}–{LAST_YEAR}")
    return day


def _end(event: Any, where: str) -> dt.date:
    first = _day(event, "DTSTART", where)
    if event.get("DTEND") is None:
        duration = _property(event, "DURATION", where)
        days = duration.days if isinstance(duration, dt.timedelta) else 1
        if days > MAX_DAYS:
            raise InvalidInput(f"{where}: DURATION länger als {MAX_DAYS} Tage")
        return first + dt.timedelta(days=max(days, 1) - 1)
    end = _property(event, "DTEND", where)
    if isinstance(end, dt.datetime):
        return _day(event, "DTEND", where)
    return max(first, _day(event, "DTEND", where) - dt.timedelta(days=1))  # all-day DTEND is exclusive


def import_ics(app: App, path: Path, state: str) -> dict[str, Any]:
    """Store the file's Ferien for the Land; they replace earlier imports on the days the file covers
    and take precedence over the shipped files there. Importing the same file again changes nothing."""
    land = _land(state)
    notes: list[str] = []
    periods = parse_ics(path, notes)
    covers = (periods[0].first, max(p.last for p in periods))
    with app.uow(write=True) as uow:
        session = uow.session
        for old in session.exec(select(SchoolHolidayPeriod).where(SchoolHolidayPeriod.state == land)).all():
            if old.covers_from >= covers[0] and old.covers_to <= covers[1]:
                session.delete(old)
        now = app.now()
        for period in periods:
            session.add(SchoolHolidayPeriod(state=land, name=period.name, first_day=period.first,
                                            last_day=period.last, covers_from=covers[0], covers_to=covers[1],
                                            source=period.source, imported_at=now))
        uow.commit()
    return {"land": land, "source": visible(path.name), "imported": len(periods), "notes": notes,
            "covers": {"from": covers[0].isoformat(), "to": covers[1].isoformat()}}


def list_ferien(app: App, state: str, year: int | None = None) -> dict[str, Any]:
    """What is known of the Land's Ferien (of ``year``, if given) and where each period comes from."""
    land = _land(state)
    with app.uow() as uow:
        calendar = Calendars(uow.session)(land)
    periods = [p for p in calendar.periods if year is None or p.first.year <= year <= p.last.year]
    if year is not None and not any(calendar.covers(day) for day in (dt.date(year, 1, 1), dt.date(year, 12, 31))):
        calendar.outside.add(year)
    return {
        "land": land, "year": year,
        "covered": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in calendar.coverage],
        "periods": [{"name": p.name, "first_day": p.first.isoformat(), "last_day": p.last.isoformat(),
                     "source": p.source} for p in periods],
        "warnings": calendar.warnings(),
    }



def known_ranges(app: App) -> list[tuple[str, str]]:
    """Per Land the days whose Schulferien are known ("08.10.2018–03.01.2029")."""
    with app.uow() as uow:
        calendars = Calendars(uow.session)
        return [(land, "; ".join(f"{a:%d.%m.%Y}–{b:%d.%m.%Y}" for a, b in calendars(land).coverage) or "nichts")
                for land in sorted(LAENDER)]
