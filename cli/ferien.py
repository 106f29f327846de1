"""``verbund ferien import|list``: a Land's Schulferien (shipped 2019–2028, imported from its official
iCalendar file) and where each period comes from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from verbund.cli.common import JsonOption, console, errors, print_json
from verbund.domain.errors import DomainError
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings

ferien_app = typer.Typer(help="Schulferien der Länder: ansehen und aus dem amtlichen iCalendar importieren.",
                         no_args_is_help=True)
LandOption = Annotated[str, typer.Option("--land", help="Land, z. B. SN, NW, HE.")]


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        errors.print(f"[yellow]Warnung:[/] {warning}", highlight=False)


@ferien_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Die iCalendar-Datei (.ics) der Schulferien des Landes.")],
    land: LandOption,
    json_output: JsonOption = False,
) -> None:
    """Schulferien eines Landes aus seiner amtlichen .ics-Datei speichern; sie gelten für die Tage, die
    die Datei abdeckt, vor den mitgelieferten Daten."""
    from verbund.services.app.ferien import import_ics

    try:
        result = import_ics(bootstrap(Settings()), file, land)
    except DomainError as error:
        errors.print(f"[bold red]Fehler:[/] {error}", highlight=False)
        raise typer.Exit(1) from error
    if json_output:
        print_json(result)
        return
    console.print(f"{result['land']}: {result['imported']} Ferienzeiträume aus {result['source']} gespeichert "
                  f"(gilt vom {_german(result['covers']['from'])} bis {_german(result['covers']['to'])}).",
                  highlight=False)
    for note in result["notes"]:
        console.print(f"Hinweis: {note}", highlight=False, markup=False)


@ferien_app.command("list")
def list_command(
    land: LandOption,
    year: Annotated[int | None, typer.Option("--year", help="Nur Ferien, die in dieses Jahr fallen.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Die bekannten Schulferien eines Landes, ihre Quelle und der abgedeckte Zeitraum."""
    from verbund.services.app.ferien import list_ferien

    try:
        data = list_ferien(bootstrap(Settings()), land, year)
    except DomainError as error:
        errors.print(f"[bold red]Fehler:[/] {error}", highlight=False)
        raise typer.Exit(1) from error
    if json_output:
        print_json(data)
        _warn(data["warnings"])
        return
    table = Table(title=f"Schulferien {data['land']}" + (f" {year}" if year else ""))
    for column in ("Ferien", "erster Tag", "letzter Tag", "Quelle"):
        table.add_column(column)
    for period in data["periods"]:
        table.add_row(period["name"], _german(period["first_day"]), _german(period["last_day"]), period["source"])
    console.print(table)
    known = "; ".join(f"{_german(c['from'])}–{_german(c['to'])}" for c in data["covered"]) or "nichts"
    console.print(f"Bekannt: {known}.", highlight=False)
    _warn(data["warnings"])


def _german(iso: str) -> str:
    return f"{dt.date.fromisoformat(iso):%d.%m.%Y}"


def register(app: typer.Typer) -> None:
    app.add_typer(ferien_app, name="ferien")
