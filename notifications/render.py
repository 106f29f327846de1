"""German message texts from Jinja2 templates (``notifications/templates/<kind>.txt.j2``).

A template's first line is ``Betreff: …``; the rest is the body. Contexts are plain values
(strings, ISO dates and datetimes) so that nothing of the domain is imported here.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]


def german_date(value: str | dt.date | None) -> str:
    """``2021-11-17`` → ``Mittwoch, 17.11.2021``."""
    if value is None or value == "":
        return "—"
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    return f"{WEEKDAYS[day.weekday()]}, {day:%d.%m.%Y}"


def german_time(value: str | dt.datetime) -> str:
    """An instant as ``17.11.2021, 10:00 Uhr`` in Europe/Berlin."""
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return f"{at.astimezone(BERLIN):%d.%m.%Y, %H:%M} Uhr"


GENITIVES = (("Kooperationsverbund ", "des Kooperationsverbunds "), ("Verbund ", "des Verbunds "),
             ("Regionales Bildungsnetzwerk ", "des Regionalen Bildungsnetzwerks "),
             ("Bildungsnetzwerk ", "des Bildungsnetzwerks "), ("Netzwerk ", "des Netzwerks "))


def genitive(name: str) -> str:
    """"des Kooperationsverbunds Zwickau-Stadt" for a network's name (else "des Verbunds „Name“")."""
    for nominative, genitive_form in GENITIVES:
        if name.startswith(nominative):
            return genitive_form + name.removeprefix(nominative)
    return f"des Verbunds „{name}“"


def counted(n: int, one: str, many: str) -> str:
    """``n`` with the noun in singular only for one: "1 Versuch", "0 Versuchen", "2 Versuchen"."""
    return f"{n} {one if n == 1 else many}"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(  # noqa: S701 - plain-text messages, not HTML
        loader=PackageLoader("verbund.notifications", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["datum"] = german_date
    env.filters["zeit"] = german_time
    env.filters["des"] = genitive
    env.filters["anzahl"] = counted  # {{ attempts | anzahl("Versuch", "Versuchen") }}
    return env


def render(kind: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of one item of ``kind``."""
    text = _environment().get_template(f"{kind}.txt.j2").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Betreff: "):
        raise ValueError(f"Vorlage {kind}.txt.j2: erste Zeile muss 'Betreff: …' sein")
    return first.removeprefix("Betreff: ").strip(), body.strip() + "\n"


def digest(parts: list[tuple[str, str]], contact_name: str, day: str) -> tuple[str, str]:
    """One message from several items of the same day (subject, body)."""
    if len(parts) == 1:
        return parts[0]
    items = counted(len(parts), "Mitteilung", "Mitteilungen")
    subject = f"{items} Ihres Kooperationsverbunds vom {german_date(day)}"
    sections = [f"{index}. {part_subject}\n\n{body}" for index, (part_subject, body) in enumerate(parts, 1)]
    rule = "\n" + "-" * 60 + "\n\n"
    intro = f"Guten Tag {contact_name},\n\nheute haben wir {items} für Sie zusammengefasst.\n\n"
    return subject, intro + rule.join(sections)
