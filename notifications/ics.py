"""iCalendar (RFC 5545) invitations for the consultation: REQUEST with a SEQUENCE, or CANCEL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

BERLIN = ZoneInfo("Europe/Berlin")


def consultation_ics(
    *, uid: str, sequence: int, starts_at: dt.datetime, minutes: int, summary: str, location: str,
    description: str = "", cancelled: bool = False, stamp: dt.datetime,
) -> bytes:
    """One VEVENT in Europe/Berlin (TZID); ``cancelled`` gives METHOD:CANCEL and STATUS:CANCELLED."""
    calendar = Calendar()
    calendar.add("prodid", "-//verbund//Kooperationsverbund//DE")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    start = starts_at.astimezone(BERLIN)
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=minutes))
    event.add("summary", summary)
    event.add("location", location)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
