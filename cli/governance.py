"""``verbund decision|agreement|step``: consensus decisions, agreements and documented steps.

The inputs of the templates' ``decisions_adopted``, ``agreement_signed`` and ``steps_documented``
checks (``services.governance.votes``, ``services.governance.records``). Members are named by id, source id, name or
a unique part of the name; a vote, an agreement and a step trigger the stage flows through the
app's trigger port, as the stage commands do. ``--at`` back-fills when it really happened.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from verbund.cli.common import JsonOption, console, domain_errors, print_json
from verbund.domain.governance import VOTE_LABELS
from verbund.domain.stages import SYSTEM_ACTOR

if TYPE_CHECKING:
    from verbund.services.app.bootstrap import App
    from verbund.services.governance.records import DecisionReport


decision_app = typer.Typer(help="Konsensbeschlüsse des Lenkungskreises bzw. der Steuergruppe: eröffnen, "
                                "abstimmen, anzeigen.", no_args_is_help=True)
agreement_app = typer.Typer(help="Kooperationsverträge und Vereinbarungen erfassen und anzeigen.", no_args_is_help=True)
step_app = typer.Typer(help="Dokumentierte Schritte einer Stufe erfassen (z. B. Bildungskonferenz durchgeführt).",
                       no_args_is_help=True)

AtOption = Annotated[
    str | None,
    typer.Option("--at", help="Wann es wirklich geschah (16.12.2026 14:00 oder ISO 8601; "
                "ohne Zone: Europe/Berlin), für Nacherfassung."),
]
ByOption = Annotated[str, typer.Option("--by", help="E-Mail der erfassenden Person (für den Verlauf).")]
STATUS_LABELS = {"open": "offen", "adopted": "beschlossen", "not_agreed": "nicht beschlossen"}


def register(app: typer.Typer) -> None:
    app.add_typer(decision_app, name="decision")
    app.add_typer(agreement_app, name="agreement")
    app.add_typer(step_app, name="step")


def _app() -> App:
    from verbund.cli.main import _app as configured

    return configured(sweep=True)  # every command here runs stage flows


def _at(value: str | None) -> dt.datetime | None:
    from verbund.services.app.clock import parse_instant

    return parse_instant(value, "--at") if value else None


def _print_decision(report: DecisionReport) -> None:
    console.print(f"[bold]{report.network} · {report.stage}[/] (Durchlauf {report.cycle}): Beschluss "
                  f"„{escape(report.title)}“ (Art {report.kind}), ID {report.id[:8]}", highlight=False)
    console.print(f"Stand: {STATUS_LABELS.get(report.status, report.status)} — {escape(report.reason)}",
                  highlight=False)
    if report.proposed_responsibility or report.previous_responsibility:
        console.print(f"Zuständigkeit: bisher {report.previous_responsibility or '—'}, vorgeschlagen "
                      f"{report.proposed_responsibility or '—'}, jetzt {report.responsibility or '—'}",
                      highlight=False)
    if report.votes:
        table = Table(title="Stimmen")
        for column in ("Mitglied", "Stimme", "Begründung"):
            table.add_column(column)
        for name, vote in report.votes.items():
            table.add_row(name, VOTE_LABELS.get(vote, vote), report.notes.get(name, ""))
        console.print(table)


@decision_app.command("open")
def decision_open(
    network: str, stage: str,
    title: Annotated[str, typer.Option("--title", help="Worüber beschlossen wird (eindeutig je Stufe und Durchlauf).")],
    responsibility: Annotated[str | None, typer.Option(
        "--responsibility", help="Vorgeschlagene Zuständigkeit (gilt, wenn beschlossen).")] = None,
    previous: Annotated[str | None, typer.Option(
        "--previous", help="Bisherige Zuständigkeit (bleibt, wenn nicht beschlossen).")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="Art des Beschlusses (Standard: die Art, die die Stufe erwartet).")] = None,
    text: Annotated[str, typer.Option("--text", help="Beschlussvorlage im Wortlaut.")] = "",
    by: ByOption = SYSTEM_ACTOR,
    at: AtOption = None,
    json_output: JsonOption = False,
) -> None:
    """Einen Konsensbeschluss in der offenen Stufe eröffnen; danach stimmt jedes stimmberechtigte Mitglied ab."""
    from verbund.services.governance.votes import open_decision

    with domain_errors():
        report = open_decision(_app(), network, stage, title=title, kind=kind, proposed=responsibility,
                               previous=previous, text=text, by=by, at=_at(at))
    print_json(report.to_dict()) if json_output else _print_decision(report)


@decision_app.command("vote")
def decision_vote(
    network: str,
    decision: Annotated[str, typer.Argument(help="Titel oder ID (die ersten acht Zeichen genügen).")],
    member: Annotated[str, typer.Option("--member", help="Stimmberechtigtes Mitglied: ID, Name oder eindeutiger "
                                                          "Teil des Namens.")],
    vote: Annotated[str, typer.Option("--vote", help="consent (Zustimmung), objection (Einwand) oder "
                                                      "reservation (Vorbehalt).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Begründung bzw. festgehaltene Bedenken.")] = None,
    by: ByOption = SYSTEM_ACTOR,
    at: AtOption = None,
    json_output: JsonOption = False,
) -> None:
    """Die Stimme eines Mitglieds erfassen; ein Einwand oder die letzte ausstehende Stimme entscheidet."""
    from verbund.services.governance.votes import cast_vote

    with domain_errors():
        report = cast_vote(_app(), network, decision, member=member, vote=vote, reason=reason, by=by, at=_at(at))
    print_json(report.to_dict()) if json_output else _print_decision(report)


@decision_app.command("show")
def decision_show(
    network: str,
    decision: Annotated[str, typer.Argument(help="Titel oder ID (die ersten acht Zeichen genügen).")],
    json_output: JsonOption = False,
) -> None:
    """Einen Beschluss mit Stand, Begründung, Zuständigkeit und allen Stimmen anzeigen."""
    from verbund.services.governance.votes import show_decision

    with domain_errors():
        report = show_decision(_app(), network, decision)
    print_json(report.to_dict()) if json_output else _print_decision(report)


@decision_app.command("list")
def decision_list(network: str, json_output: JsonOption = False) -> None:
    """Alle Beschlüsse eines Verbunds in der Reihenfolge, in der sie gefasst wurden."""
    from verbund.services.governance.records import decisions

    with domain_errors():
        reports = decisions(_app(), network)
    if json_output:
        print_json({"decisions": [report.to_dict() for report in reports]})
        return
    table = Table(title=f"Beschlüsse in {network}")
    for column in ("ID", "Stufe", "Durchlauf", "Titel", "Stand", "Begründung"):
        table.add_column(column)
    for report in reports:
        table.add_row(report.id[:8], report.stage, str(report.cycle), report.title,
                      STATUS_LABELS.get(report.status, report.status), report.reason)
    console.print(table)


def _responsibility(value: str) -> Any:
    from verbund.services.governance.records import Responsibility

    parts = [part.strip() for part in value.split("|")]
    if len(parts) != 3 or not all(parts):
        raise typer.BadParameter(f"'{value}': erwartet 'Aufgabe | wer umsetzt | wer die Qualität prüft'",
                                 param_hint="--responsibility")
    return Responsibility(*parts)


@agreement_app.command("record")
def agreement_record(
    network: str,
    title: Annotated[str, typer.Option("--title", help="z. B. „Kooperationsvertrag“ (eindeutig je Verbund).")],
    party: Annotated[list[str], typer.Option("--party", help="Vertragspartei (Mitglied: ID, Name oder eindeutiger "
                                                             "Teil des Namens); mehrfach angeben.")],
    signed_on: Annotated[str | None, typer.Option("--signed-on", help="Tag der Unterzeichnung (TT.MM.JJJJ/JJJJ-MM-TT); "
                                                                        "ohne: noch nicht unterzeichnet.")] = None,
    field_of_action: Annotated[list[str] | None, typer.Option(
        "--field", help="Vereinbartes Handlungsfeld; mehrfach angeben.")] = None,
    responsibility: Annotated[list[str] | None, typer.Option(
        "--responsibility", help="'Aufgabe | wer umsetzt | wer die Qualität prüft'; mehrfach angeben.")] = None,
    by: ByOption = SYSTEM_ACTOR,
    at: AtOption = None,
    json_output: JsonOption = False,
) -> None:
    """Einen Kooperationsvertrag bzw. eine Vereinbarung erfassen oder ändern."""
    from verbund.services.governance.records import agreements, record_agreement
    from verbund.services.governance.votes import member_ids

    with domain_errors():
        signed = _signed_on(signed_on)
        tasks = [_responsibility(item) for item in responsibility or []]
        built = _app()
        when = _at(at)
        parties = member_ids(built, network, party, at=when)
        record_agreement(built, network, title=title, parties=parties, signed_on=signed,
                         fields_of_action=field_of_action or [], responsibilities=tasks, by=by, at=when)
        stored = next(a for a in agreements(built, network) if a["title"] == title)
    if json_output:
        print_json(stored)
        return
    console.print(f"{network}: „{title}“ erfasst — Parteien: {', '.join(stored['parties'])}; unterzeichnet: "
                  f"{stored['signed_on'] or 'noch nicht'}", highlight=False)


def _signed_on(value: str | None) -> dt.date | None:

    from verbund.domain.dates import parse_day

    if value is None:
        return None
    return parse_day(value, "--signed-on")


@agreement_app.command("list")
def agreement_list(network: str, json_output: JsonOption = False) -> None:
    """Alle Vereinbarungen eines Verbunds mit Parteien, Unterzeichnung, Handlungsfeldern und Zuständigkeiten."""
    from verbund.services.governance.records import agreements

    with domain_errors():
        rows = agreements(_app(), network)
    if json_output:
        print_json({"agreements": rows})
        return
    table = Table(title=f"Vereinbarungen in {network}")
    for column in ("Titel", "Parteien", "unterzeichnet", "Handlungsfelder", "Zuständigkeiten"):
        table.add_column(column)
    for row in rows:
        tasks = "\n".join(f"{r['task']}: {r['implements']} (Qualität: {r['checks_quality']})"
                          for r in row["responsibilities"])
        table.add_row(row["title"], "\n".join(row["parties"]), row["signed_on"] or "—",
                      ", ".join(row["fields_of_action"]) or "—", tasks or "—")
    console.print(table)


@step_app.command("record")
def step_record(
    network: str, stage: str,
    step: Annotated[str, typer.Argument(help="Schritt, den die Stufe verlangt (verbund templates show).")],
    text: Annotated[str, typer.Option("--text", help="Was dokumentiert ist (Kurzbeschreibung, Fundstelle).")] = "",
    by: ByOption = SYSTEM_ACTOR,
    at: AtOption = None,
    json_output: JsonOption = False,
) -> None:
    """Einen Schritt der offenen Stufe als dokumentiert erfassen (gilt für den laufenden Durchlauf)."""
    from verbund.services.governance.records import record_step

    with domain_errors():
        cycle = record_step(_app(), network, stage, step, text=text, by=by, at=_at(at))
    if json_output:
        print_json({"network": network, "stage": stage, "step": step, "cycle": cycle})
    else:
        console.print(f"{network} · {stage}: Schritt '{step}' dokumentiert (Durchlauf {cycle})", highlight=False)
