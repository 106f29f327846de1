"""Dates and times a person enters, in one place (CLI options, ``VERBUND_NOW``, dashboard and partner
forms, mapping files). Pure.

Accepted: the German form (``16.12.2026``, ``16.12.2026 14:00``, ``16.12.2026, 14:00:30``) and ISO 8601
(``2026-12-16``, ``2026-12-16T14:00``, ``2026-12-16 14:00+01:00``, ``…Z``). A time without an offset is
Europe/Berlin. Years outside 1900–2199 are refused (no date a network means; beyond them Python's
arithmetic overflows). A bad value raises ``DateInputError``: one German line naming the field, the
value (shortened, control characters shown as ``?``) and the accepted forms.

Output formatting of dates (the accessibility work, issue 17) belongs beside the parsing here.
"""

from __future__ import annotations

import datetime as dt
import re

from verbund.domain.business_days import BERLIN
from verbund.domain.errors import InvalidInput

DAY_FORMS = "TT.MM.JJJJ oder JJJJ-MM-TT (z. B. 16.12.2026 oder 2026-12-16)"
INSTANT_FORMS = ("TT.MM.JJJJ HH:MM oder JJJJ-MM-TTTHH:MM, ohne Zeitzone Europe/Berlin "
                 "(z. B. 16.12.2026 14:00 oder 2026-12-16T14:00+01:00)")
FIRST_YEAR, LAST_YEAR = 1900, 2199
_GERMAN = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:,?[ \t]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateInputError(InvalidInput):
    """A date or time a person entered is not one of the accepted forms (``field`` names where)."""

    def __init__(self, field: str, value: str, forms: str, why: str = "") -> None:
        self.field = field
        shown = "".join(c if c.isprintable() else "?" for c in value.strip())
        shown = shown if len(shown) <= 40 else shown[:37] + "…"
        reason = f" ({why})" if why else ""
        super().__init__(f"{field}: '{shown}' ist kein gültiges Datum{reason}; erlaubt: {forms}")


def _checked_year(value: dt.date, field: str, raw: str, forms: str) -> None:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise DateInputError(field, raw, forms, f"Jahr außerhalb {FIRST_YEAR}–{LAST_YEAR}")


def parse_day(value: str | None, field: str) -> dt.date:
    """A calendar day, German or ISO."""
    raw = value if isinstance(value, str) else ""
    text = raw.strip()
    german = _GERMAN.fullmatch(text)
    try:
        if german and german.group(4) is None:
            day = dt.date(int(german.group(3)), int(german.group(2)), int(german.group(1)))
        elif _ISO_START.fullmatch(text):
            day = dt.date.fromisoformat(text)
        else:
            raise DateInputError(field, raw, DAY_FORMS)
    except (ValueError, OverflowError) as error:
        raise DateInputError(field, raw, DAY_FORMS, "diesen Tag gibt es nicht") from error
    _checked_year(day, field, raw, DAY_FORMS)
    return day


def parse_instant(value: str | None, field: str) -> dt.datetime:
    """A point in time (a day alone is its start), German or ISO; aware, Europe/Berlin unless an
    offset is given."""
    raw = value if isinstance(value, str) else ""
    text = raw.strip()
    german = _GERMAN.fullmatch(text)
    try:
        if german:
            day, month, year = int(german.group(1)), int(german.group(2)), int(german.group(3))
            hour, minute, second = (int(german.group(i) or 0) for i in (4, 5, 6))
            parsed = dt.datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - Berlin below
        elif _ISO_START.match(text) and text.isascii():
            parsed = dt.datetime.fromisoformat(text)
        else:
            raise DateInputError(field, raw, INSTANT_FORMS)
    except (ValueError, OverflowError) as error:
        raise DateInputError(field, raw, INSTANT_FORMS, "diesen Zeitpunkt gibt es nicht") from error
    _checked_year(parsed, field, raw, INSTANT_FORMS)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=BERLIN)


def parse_optional_day(value: str | None, field: str) -> dt.date | None:
    """``parse_day``, or None for an empty value (an optional form field)."""
    return parse_day(value, field) if value is not None and value.strip() else None
