"""The network page's forms for what the CLI could do alone until issue 13: consensus decisions and
votes, agreements, documented steps, announcements, cancelling the consultation, and (process
owners) extending a stage's deadline. Each handler calls the same use case as the CLI command."""

from __future__ import annotations

import datetime as dt

from verbund.domain.dates import parse_optional_day
from verbund.domain.errors import InvalidInput
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App


def _required(data: dict[str, str], key: str, label: str) -> str:
    value = (data.get(key) or "").strip()
    if not value:
        raise InvalidInput(f"{label} fehlt")
    return value


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _date(value: str | None, label: str) -> dt.date | None:
    return parse_optional_day(value, label)


def open_decision(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.governance.votes import open_decision as open_one

    report = open_one(app, slug, _required(data, "stage", "Stufe"), title=_required(data, "title", "Titel"),
                      proposed=data.get("responsibility") or None, previous=data.get("previous") or None,
                      text=data.get("text", ""), by=who.email)
    return f"Beschluss „{report.title}“ eröffnet"


def vote(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.governance.votes import cast_vote

    report = cast_vote(app, slug, _required(data, "decision", "Beschluss"),
                       member=_required(data, "member", "Mitglied"), vote=_required(data, "vote", "Stimme"),
                       reason=data.get("reason") or None, by=who.email)
    return f"Stimme erfasst – „{report.title}“: {report.reason}"


def agreement(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.governance.records import Responsibility, record_agreement

    parties = [key.removeprefix("party-") for key, value in data.items() if key.startswith("party-") and value]
    if not parties:
        raise InvalidInput("Vertragsparteien: mindestens eine auswählen")
    tasks = []
    for line in _lines(data.get("responsibilities")):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise InvalidInput(f"Zuständigkeit '{line}': erwartet 'Aufgabe | wer umsetzt | wer die Qualität prüft'")
        tasks.append(Responsibility(*parts))
    title = _required(data, "title", "Titel")
    signed = _date(data.get("signed_on"), "Unterzeichnet am")
    record_agreement(app, slug, title=title, parties=parties, signed_on=signed,
                     fields_of_action=_lines(data.get("fields")), responsibilities=tasks, by=who.email)
    return f"Vereinbarung „{title}“ erfasst"


def step(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.governance.records import record_step

    name = _required(data, "step", "Schritt")
    cycle = record_step(app, slug, _required(data, "stage", "Stufe"), name, text=data.get("text", ""), by=who.email)
    return f"Schritt „{name}“ dokumentiert (Durchlauf {cycle})"


def announce(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.messaging.announcements import announce as plan

    kinds = [data["kind"]] if data.get("kind") else []
    result = plan(app, slug, title=data.get("title", ""), text=data.get("text", ""), kinds=kinds, by=who.email)
    return (f"Mitteilung an {result['recipients']} Ansprechpersonen geplant ({result['planned']} neu); "
            "sie geht mit dem nächsten Erinnerungslauf hinaus")


def cancel_consultation(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.inputs.consultation import cancel_consultation as cancel

    cancel(app, slug, reason=_required(data, "reason", "Begründung"), by=who.email)
    return "Beratung abgesagt"


def extend(app: App, slug: str, data: dict[str, str], who: Principal) -> str:
    from verbund.services.stages.deadlines import extend_deadline

    until = _date(_required(data, "until", "Neue Frist"), "Neue Frist")
    assert until is not None
    result = extend_deadline(app, slug, _required(data, "stage", "Stufe"), until=until,
                             reason=data.get("reason", ""), by=who.email)
    return f"Frist von {result['previous_due']} auf {result['due']} verlängert"
