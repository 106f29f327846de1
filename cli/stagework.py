"""``verbund goal|consultation|protocol``: the stage actions the dashboard's network page offers,
from the command line, through the same use cases (``services.inputs.work``, ``services.inputs.consultation``,
``services.inputs.protocol``) with the same rules and messages.

Members (``--owner``, ``--present``) are named by id, source id, exact name or a unique part of the
name, as in ``verbund decision vote``. Every command takes ``--by`` (default ``system``), ``--at``
(back-filling) and ``--json`` (what is stored afterwards, as the network page shows it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from verbund.cli.common import (
    AtOption,
    ByOption,
    JsonOption,
    at_option,
    build_app,
    console,
    domain_errors,
    print_json,
)
from verbund.domain.dates import parse_day
from verbund.domain.errors import InvalidInput
from verbund.domain.formatting import count
from verbund.domain.stages import SYSTEM_ACTOR

if TYPE_CHECKING:
    from verbund.services.app.bootstrap import App

goal_app = typer.Typer(help="Entwicklungs- und Gestaltungsziele erfassen und anzeigen.", no_args_is_help=True)
consultation_app = typer.Typer(help="Die konstituierende Beratung: ansetzen, Einladungen vermerken, abhalten, "
                                    "absagen.", no_args_is_help=True)
protocol_app = typer.Typer(help="Das Protokoll: Entwurf, Versand mit Einspruchsfrist, Einsprüche erledigen, "
                                "genehmigen, veröffentlichen, Empfehlungen.", no_args_is_help=True)
NetworkArgument = Annotated[str, typer.Argument(help="Verbund (Slug).")]


def register(app: typer.Typer) -> None:
    app.add_typer(goal_app, name="goal")
    app.add_typer(consultation_app, name="consultation")
    app.add_typer(protocol_app, name="protocol")


def _page(app: App, network: str) -> dict[str, Any]:
    from verbund.services.readmodels.network_page import network_page

    return network_page(app, network)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    return parse_day(value, option)


# --- goals ---------------------------------------------------------------------------------------

@goal_app.command("add")
def goal_add(
    network: NetworkArgument,
    title: Annotated[str, typer.Option("--title", help="Das Ziel (eindeutig je Verbund; gleicher Titel ändert es).")],
    potential: Annotated[list[str], typer.Option("--potential", help="Titel eines Potenzials, aus dem das Ziel "
                                                                     "folgt; mehrfach angeben.")],
    kind: Annotated[str, typer.Option("--kind", help="development (Entwicklungsziel) oder design "
                                                     "(Gestaltungsziel).")] = "development",
    owner: Annotated[str | None, typer.Option("--owner", help="Verantwortliches Mitglied: ID, Name oder "
                                                              "eindeutiger Teil des Namens.")] = None,
    indicator: Annotated[str | None, typer.Option("--indicator", help="Woran das Erreichen gemessen wird.")] = None,
    target_date: Annotated[str | None, typer.Option("--target-date", help="Zieldatum (TT.MM.JJJJ/JJJJ-MM-TT).")] = None,
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Ein Ziel erfassen oder ändern (Stufe goals); es muss aus mindestens einem Potenzial folgen."""
    from verbund.services.governance.votes import member_ids
    from verbund.services.inputs.work import GoalInput, record_goals

    with domain_errors():
        built, when, target = build_app(), at_option(at), _date(target_date, "--target-date")
        owner_id = member_ids(built, network, [owner], at=when, what="--owner")[0] if owner else None
        record_goals(built, network, [GoalInput(title, potential, kind, owner_id, indicator, target)], by=by, at=when)
        stored = next(g for g in _page(built, network)["goals"] if g["title"] == title)
    if json_output:
        print_json({"network": network, **stored})
    else:
        console.print(f"{network}: Ziel „{escape(title)}“ erfasst (aus {', '.join(stored['derived_from'])})",
                      highlight=False)


@goal_app.command("list")
def goal_list(network: NetworkArgument, json_output: JsonOption = False) -> None:
    """Die Ziele eines Verbunds mit Potenzialen, Verantwortlichen, Indikator, Zieldatum und Bestätigung."""
    with domain_errors():
        goals = _page(build_app(), network)["goals"]
    if json_output:
        print_json({"network": network, "goals": goals})
        return
    table = Table(title=f"Ziele in {network}")
    for column in ("Ziel", "Art", "aus Potenzialen", "verantwortlich", "Indikator", "bis", "bestätigt"):
        table.add_column(column)
    for g in goals:
        table.add_row(g["title"], g["kind"], ", ".join(g["derived_from"]), g["owner"] or "—", g["indicator"] or "—",
                      g["target_date"] or "—", (g["confirmed_at"] or "")[:10] or "nein")
    console.print(table)


# --- consultation --------------------------------------------------------------------------------

def _print_consultation(network: str, data: dict[str, Any], json_output: bool, done: str) -> None:
    if json_output:
        print_json({"network": network, **data})
        return
    console.print(f"{network}: {done} — Beratung {data['status']}, {data['starts_at']} in {escape(data['place'])}"
                  + (f"; Einladungen versandt {data['invitations_sent_at']}" if data["invitations_sent_at"] else ""),
                  highlight=False)


def _consultation(app: App, network: str) -> dict[str, Any]:
    data: dict[str, Any] | None = _page(app, network)["consultation"]
    if data is None:  # pragma: no cover - every action below stores one or refuses
        raise InvalidInput(f"Verbund '{network}': keine Beratung angesetzt")
    return data


@consultation_app.command("schedule")
def consultation_schedule(
    network: NetworkArgument,
    starts_at: Annotated[str, typer.Option("--starts-at", help="Beginn (16.12.2026 14:00 oder ISO).")],
    place: Annotated[str, typer.Option("--place", help="Ort der Beratung.")],
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Die Beratung ansetzen oder verlegen (eine Verlegung verlangt neue Einladungen)."""
    from verbund.services.app.clock import parse_instant
    from verbund.services.inputs.consultation import schedule_consultation

    with domain_errors():
        built, starts = build_app(), parse_instant(starts_at, "--starts-at")
        schedule_consultation(built, network, starts_at=starts, place=place, by=by, at=at_option(at))
        data = _consultation(built, network)
    _print_consultation(network, data, json_output, "angesetzt")


@consultation_app.command("invitations-sent")
def consultation_invitations_sent(
    network: NetworkArgument, by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Vermerken, dass die Einladungen (mit .ics) versandt sind."""
    from verbund.services.inputs.consultation import record_invitations_sent

    with domain_errors():
        built = build_app()
        record_invitations_sent(built, network, by=by, at=at_option(at))
        data = _consultation(built, network)
    _print_consultation(network, data, json_output, "Einladungen vermerkt")


@consultation_app.command("hold")
def consultation_hold(
    network: NetworkArgument,
    present: Annotated[list[str] | None, typer.Option("--present", help="Anwesendes Mitglied (ID, Name oder "
                                                      "eindeutiger Teil); mehrfach angeben. Alle übrigen "
                                                      "Mitglieder gelten als abwesend.")] = None,
    decision: Annotated[list[str] | None, typer.Option("--decision", help="Gefasster Beschluss; mehrfach "
                                                                          "angeben.")] = None,
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Erfassen, dass die Beratung stattfand: Anwesenheit, Beschlüsse; die Ziele gelten als bestätigt."""
    from verbund.services.governance.votes import member_ids
    from verbund.services.inputs.consultation import AttendanceInput, HoldInput, hold_consultation

    with domain_errors():
        built, when = build_app(), at_option(at)
        here = set(member_ids(built, network, present or [], at=when, what="--present"))
        everyone = [m["organisation_id"] for m in _page(built, network)["members"]]
        attendance = [AttendanceInput(oid, oid in here) for oid in everyone]
        hold_consultation(built, network, HoldInput(attendance, list(decision or [])), by=by, at=when)
        data = _consultation(built, network)
    _print_consultation(network, data, json_output, f"abgehalten mit {len(here)} von {len(everyone)} Anwesenden")


@consultation_app.command("cancel")
def consultation_cancel(
    network: NetworkArgument,
    reason: Annotated[str, typer.Option("--reason", help="Warum die Beratung abgesagt wird (Pflicht).")],
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Die angesetzte Beratung absagen (die Partner erhalten eine Absage)."""
    from verbund.services.inputs.consultation import cancel_consultation

    with domain_errors():
        if not reason.strip():
            raise InvalidInput("--reason: eine Absage braucht eine Begründung")
        built = build_app()
        cancel_consultation(built, network, reason=reason, by=by, at=at_option(at))
        data = _consultation(built, network)
    _print_consultation(network, data, json_output, "abgesagt")


# --- protocol ------------------------------------------------------------------------------------

def _protocol_done(app: App, network: str, json_output: bool, done: str, **extra: Any) -> None:
    data = _page(app, network)
    if json_output:
        print_json({"network": network, **(data["protocol"] or {}), **extra,
                    "recommendations": data["recommendations"]})
        return
    status = data["protocol"]["status"] if data["protocol"] else "—"
    console.print(f"{network}: {done} (Protokoll: {status})", highlight=False)


@protocol_app.command("draft")
def protocol_draft(
    network: NetworkArgument,
    text: Annotated[str | None, typer.Option("--text", help="Der Protokolltext.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Datei mit dem Protokolltext (UTF-8).")] = None,
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Den Protokollentwurf speichern (ersetzt einen früheren Entwurf; nicht nach der Genehmigung)."""
    from verbund.services.inputs.protocol import draft_protocol

    with domain_errors():
        body = _body(text, file)
        built = build_app()
        draft_protocol(built, network, body=body, by=by, at=at_option(at))
    _protocol_done(built, network, json_output, "Entwurf gespeichert")


def _body(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        raise InvalidInput("Protokolltext: genau eines von --text oder --file angeben")
    if file is None:
        return text or ""
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"--file: '{file}' nicht lesbar ({error.__class__.__name__})") from error


@protocol_app.command("circulate")
def protocol_circulate(
    network: NetworkArgument,
    days: Annotated[int, typer.Option("--days", help="Einspruchsfrist in Werktagen des Landes.")] = 10,
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Den Entwurf mit Einspruchsfrist an alle Partner versenden."""
    from verbund.services.inputs.protocol import circulate_protocol

    with domain_errors():
        built = build_app()
        deadline = circulate_protocol(built, network, objection_business_days=days, by=by, at=at_option(at))
    _protocol_done(built, network, json_output, f"Entwurf versandt, Einspruchsfrist bis {deadline.isoformat()}")


@protocol_app.command("resolve")
def protocol_resolve(
    network: NetworkArgument,
    resolution: Annotated[str, typer.Option("--resolution", help="Wie die offenen Einsprüche erledigt wurden.")],
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Alle offenen Einsprüche mit einer Lösung als erledigt vermerken."""
    from verbund.services.inputs.protocol import resolve_objections

    with domain_errors():
        if not resolution.strip():
            raise InvalidInput("--resolution: Lösung fehlt")
        built = build_app()
        resolved = resolve_objections(built, network, resolution=resolution, by=by, at=at_option(at))
    _protocol_done(built, network, json_output, count(resolved, "Einspruch", "Einsprüche") + " erledigt",
                   resolved=resolved)


@protocol_app.command("approve")
def protocol_approve(
    network: NetworkArgument, by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Nach der Einspruchsfrist ohne offenen Einspruch genehmigen: der Text wird eingefroren (SHA-256)."""
    from verbund.services.inputs.protocol import approve_protocol

    with domain_errors():
        built = build_app()
        digest = approve_protocol(built, network, by=by, at=at_option(at))
    _protocol_done(built, network, json_output, f"genehmigt, SHA-256 {digest}")


@protocol_app.command("publish")
def protocol_publish(
    network: NetworkArgument, by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Das genehmigte Protokoll an alle Partner veröffentlichen."""
    from verbund.services.inputs.protocol import publish_protocol

    with domain_errors():
        built = build_app()
        publish_protocol(built, network, by=by, at=at_option(at))
    _protocol_done(built, network, json_output, "veröffentlicht")


@protocol_app.command("recommend")
def protocol_recommend(
    network: NetworkArgument,
    title: Annotated[list[str], typer.Option("--title", help="Empfehlung für die Weiterarbeit; mehrfach angeben.")],
    due: Annotated[str | None, typer.Option("--due", help="Bis wann (TT.MM.JJJJ/JJJJ-MM-TT).")] = None,
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Empfehlungen für die Weiterarbeit als verfolgte Punkte erfassen (gleicher Titel: nicht doppelt)."""
    from verbund.services.inputs.protocol import record_recommendations

    with domain_errors():
        built = build_app()
        added = record_recommendations(built, network, title, by=by, due=_date(due, "--due"), at=at_option(at))
    _protocol_done(built, network, json_output, count(added, "Empfehlung", "Empfehlungen") + " erfasst", added=added)
