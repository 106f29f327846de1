"""``verbund network create|rename|close|list|show`` and ``verbund school find|move``: networks
outside a rules file, and where a school is (``services.directory.networks``)."""

from __future__ import annotations

from typing import Annotated, Any

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
from verbund.domain.stages import SYSTEM_ACTOR

network_app = typer.Typer(help="Verbünde anlegen, umbenennen, schließen, auflisten, anzeigen (der Slug bleibt fest).",
                          no_args_is_help=True)
school_app = typer.Typer(help="Schulen finden (Name, Ort, Kennung) und zwischen Verbünden umordnen.",
                         no_args_is_help=True)
SlugArgument = Annotated[str, typer.Argument(help="Slug des Verbunds ([a-z0-9-]+, bleibt nach dem Anlegen fest).")]


def register(app: typer.Typer) -> None:
    app.add_typer(network_app, name="network")
    app.add_typer(school_app, name="school")


def _print_network(data: dict[str, Any]) -> None:
    state = f"geschlossen seit {data['closed_at'][:10]} ({data['closed_reason']})" if data["closed_at"] else "aktiv"
    console.print(f"[bold]{data['slug']}[/] — {escape(data['name'])} ({data['region']}, {data['template']}), {state}; "
                  f"{data['schools']} Schulen, {data['partners']} weitere Mitglieder; aktuelle Stufe: "
                  f"{data['current_stage'] or '—'}", highlight=False)
    if data.get("history"):
        table = Table(title="Verlauf")
        for column in ("Zeitpunkt", "Wer", "Was", "Aktion", "Begründung"):
            table.add_column(column)
        for event in data["history"]:
            table.add_row(event["at"], event["actor"], event["entity"], event["action"], event["reason"] or "")
        console.print(table)


@network_app.command("create")
def network_create(
    slug: SlugArgument,
    name: Annotated[str, typer.Option("--name", help="Name des Verbunds (änderbar).")],
    region: Annotated[str, typer.Option("--region", help="Region (Slug, z. B. sn-zwickau).")],
    template: Annotated[str | None, typer.Option("--template", help="Prozessvorlage (Standard: die des "
                                                                      "Landes der Region).")] = None,
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Einen Verbund anlegen (mit den Stufen seiner Vorlage); derselbe Aufruf erneut ändert nichts."""
    from verbund.services.directory.networks import create_network

    with domain_errors():
        data = create_network(build_app(), slug, name=name, region=region, template=template, by=by,
                              at=at_option(at))
    print_json(data) if json_output else _print_network(data)


@network_app.command("rename")
def network_rename(
    slug: SlugArgument,
    name: Annotated[str, typer.Option("--name", help="Der neue Name (der Slug bleibt).")],
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Einen Verbund umbenennen; Slug, Nachrichten, Prefect-Tags und Verlauf bleiben."""
    from verbund.services.directory.networks import rename_network

    with domain_errors():
        data = rename_network(build_app(), slug, name=name, by=by, at=at_option(at))
    print_json(data) if json_output else _print_network(data)


@network_app.command("close")
def network_close(
    slug: SlugArgument,
    reason: Annotated[str, typer.Option("--reason", help="Warum der Verbund geschlossen wird (Pflicht).")],
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Einen Verbund schließen: alle Mitgliedschaften enden, der Verlauf bleibt (vorher Schulen umordnen)."""
    from verbund.services.directory.networks import close_network

    with domain_errors():
        data = close_network(build_app(), slug, reason=reason, by=by, at=at_option(at))
    print_json(data) if json_output else _print_network(data)


@network_app.command("list")
def network_list(
    region: Annotated[str | None, typer.Option("--region", help="Nur diese Region.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Alle Verbünde mit Region, Vorlage, Schulen, weiteren Mitgliedern, aktueller Stufe."""
    from verbund.services.directory.networks import list_networks

    with domain_errors():
        rows = list_networks(build_app(), region)
    if json_output:
        print_json({"networks": rows})
        return
    table = Table(title="Verbünde")
    for column in ("Verbund", "Name", "Region", "Vorlage", "Schulen", "Partner", "Stufe", "geschlossen"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["slug"], row["name"], row["region"], row["template"], str(row["schools"]),
                      str(row["partners"]), row["current_stage"] or "—", (row["closed_at"] or "")[:10])
    console.print(table)


@network_app.command("show")
def network_show(slug: SlugArgument, json_output: JsonOption = False) -> None:
    """Ein Verbund mit seinen Schulen (seit wann, auf welcher Grundlage) und seinem Verlauf."""
    from verbund.services.directory.networks import network_details

    with domain_errors():
        data = network_details(build_app(), slug)
    if json_output:
        print_json(data)
        return
    _print_network(data)
    table = Table(title="Zugeordnete Schulen")
    for column in ("Schule", "Name", "seit", "Grundlage"):
        table.add_column(column)
    for row in data["assigned_schools"]:
        table.add_row(row["school"], row["name"], row["since"][:10], row["basis"] or "")
    console.print(table)


@school_app.command("find")
def school_find(
    text: Annotated[str, typer.Argument(help="Teil des Namens oder Orts, QUELLE:KENNUNG, Kennung oder "
                                             "Dienststellenschlüssel.")],
    json_output: JsonOption = False,
) -> None:
    """In welchem Verbund eine Schule ist, seit wann, und ihre Förderschwerpunkte."""
    from verbund.services.directory.networks import find_schools

    with domain_errors():
        rows = find_schools(build_app(), text)
    if json_output:
        print_json({"query": text, "schools": rows})
        return
    if not rows:
        console.print(f"Keine Schule gefunden für „{escape(text)}“.", highlight=False)
        return
    table = Table(title=f"Schulen zu „{escape(text)}“")
    for column in ("Schule", "Name", "Ort", "Verbund", "seit", "Förderschwerpunkte"):
        table.add_column(column)
    for row in rows:
        where = row["network"] or ("nicht zugeordnet" if row["in_scope"] else f"— ({row['out_of_scope_reason']})")
        table.add_row(row["school"], row["name"], row["community"] or "", where, (row["since"] or "")[:10],
                      ", ".join(row["special_needs"]) or "—")
    console.print(table)


@school_app.command("move")
def school_move(
    school: Annotated[str, typer.Argument(help="QUELLE:KENNUNG, z. B. sachsen:1003 (verbund school find).")],
    network: Annotated[str, typer.Argument(help="Der Verbund, in den die Schule wechselt.")],
    reason: Annotated[str, typer.Option("--reason", help="Warum die Schule wechselt (Pflicht; im Verlauf).")],
    by: Annotated[str, typer.Option("--by", help="E-Mail der handelnden Person (Pflicht).")],
    at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Eine Schule in einen anderen Verbund umordnen; die bisherige Zuordnung endet und bleibt im Verlauf."""
    from verbund.services.directory.networks import move_school

    with domain_errors():
        result = move_school(build_app(), school, network, reason=reason, by=by, at=at_option(at))
    if json_output:
        print_json(result)
    else:
        console.print(f"{school} → {network}" + ("" if result["changed"] else " (war bereits dort)"), highlight=False)
