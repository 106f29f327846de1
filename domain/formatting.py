"""German wording and formats for what a person reads (pages, messages, reports, the CLI's tables):
counts with the right number ("1 Angabe", "2 Angaben"), local time in Europe/Berlin
("16.12.2026, 14:00 Uhr"), dates ("16.12.2026"), decimal commas and "100 %" — through Babel (de_DE).

Pure functions. Values may be given as ISO text (as the services hand them to pages) or as objects;
``None`` and "" become "—". JSON output keeps ISO forms; these are for people only.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCALE = "de_DE"
BERLIN = ZoneInfo("Europe/Berlin")
NONE = "—"


def count(n: int, one: str, many: str) -> str:
    """``n`` with the noun in singular or plural: ``count(1, "Angabe", "Angaben")`` → "1 Angabe"."""
    return f"{n} {one if n == 1 else many}"


def _instant(value: dt.datetime | str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # stored naive values are UTC


def local_time(value: dt.datetime | str | None) -> str:
    """"16.12.2026, 14:00 Uhr" in Europe/Berlin (a naive value counts as UTC, as stored)."""
    if not value:
        return NONE
    from babel.dates import format_datetime  # Babel only when a text needs it (CLI start-up, issue 14)

    return format_datetime(_instant(value), "dd.MM.yyyy', 'HH:mm 'Uhr'", tzinfo=BERLIN, locale=LOCALE)


def local_date(value: dt.date | dt.datetime | str | None) -> str:
    """"16.12.2026"; a datetime is first taken to Europe/Berlin."""
    if not value:
        return NONE
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = _instant(value).astimezone(BERLIN).date()
    from babel.dates import format_date

    return format_date(value, "dd.MM.yyyy", locale=LOCALE)


def decimal(value: float, digits: int = 1) -> str:
    """"1.234,5": German grouping and decimal comma, at most ``digits`` places."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0." + "#" * digits if digits else "#,##0", locale=LOCALE)


def percent(part: float, whole: float | None = None, digits: int = 1) -> str:
    """"87,5 %" for a ratio (or ``part`` of ``whole``); "100 %" without a trailing ",0"."""
    if whole is not None:
        if not whole:
            return NONE
        part = part / whole
    pattern = "#,##0." + "#" * digits + " %" if digits else "#,##0 %"
    from babel.numbers import format_percent

    return format_percent(part, format=pattern, locale=LOCALE)
