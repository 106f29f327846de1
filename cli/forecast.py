"""``verbund forecast``: which networks will miss the report date, with P50/P80/P95 and the basis."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from verbund.cli.common import errors
from verbund.domain.errors import DomainError

console = Console(width=None if sys.stdout.isatty() else 180)

SOURCES = {"region": "Region", "land": "Land", "prior": "Vorgabe"}


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)


def _date(value: str | None) -> str:
    if not value:
        return "nicht absehbar"
    year, month, day = value.split("-")
    return f"{day}.{month}.{year}"


def forecast(
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Stichtag TT.MM.JJJJ oder JJJJ-MM-TT (Standard: heute).")] = None,
    target: Annotated[str | None, typer.Option(
        "--target", help="Zieldatum TT.MM.JJJJ oder JJJJ-MM-TT (Standard: das Berichtsdatum der Vorlage, "
                         "report_date).")] = None,
    target_stage: Annotated[str | None, typer.Option(
        "--target-stage", help="Bis wann diese Stufe erreicht ist (Standard: alle Stufen; wiederkehrende: "
                               "der laufende Durchlauf).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Nur diese Region (Slug).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Ausgabe als JSON.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Startwert der Zufallszahlen (gleich = gleiches Ergebnis).")] = 0,
    draws: Annotated[int, typer.Option("--draws", help="Anzahl der Simulationsläufe je Verbund.")] = 2000,
) -> None:
    """Prognose: wann jeder Verbund seine Stufen durchlaufen hat und ob er das Berichtsdatum erreicht."""
    from verbund.services.app.bootstrap import bootstrap
    from verbund.services.app.settings import Settings
    from verbund.services.forecast.run import run_forecast, to_json
    from verbund.services.report import parse_day

    try:
        day = parse_day(as_of, "--as-of") if as_of else None
        goal = parse_day(target, "--target") if target else None
        app = bootstrap(Settings())
        try:
            data = run_forecast(app, as_of=day, target=goal, target_stage=target_stage, region=region,
                                seed=seed, draws=draws)
        finally:
            app.engine.dispose()
    except DomainError as error:
        errors.print(f"[bold red]Fehler:[/] {error}", highlight=False)
        raise typer.Exit(1) from error
    if json_output:
        sys.stdout.write(to_json(data))
        return
    _print(data)


def _basis(network: dict[str, Any]) -> str:
    parts = []
    for stage in network["stages"]:
        if stage["basis"] is None:
            continue
        basis = stage["basis"]
        text = f"{stage['name']}: {SOURCES[basis['source']]} n={basis['n']}"
        if stage["tail"]:
            text += " (extrapoliert)"
        parts.append(text)
    return "; ".join(parts)


def _print(data: dict[str, Any]) -> None:
    if not data["networks"]:
        console.print("Keine Verbünde zum Stichtag.")
        return
    title = f"Prognose zum Stichtag {_date(data['as_of'])} ({data['draws']} Läufe, Startwert {data['seed']})"
    table = Table(title=title)
    for column in ("Verbund", "Region", "Zieldatum", "P50", "P80", "P95", "P(bis Ziel)", "Plan", "Risiko",
                   "Verzögert durch", "Grundlage"):
        table.add_column(column)
    for network in data["networks"]:
        table.add_row(
            network["slug"], network["region"], _date(network["target"]), _date(network["p50"]),
            _date(network["p80"]), _date(network["p95"]), f"{network['p_done_by_target'] * 100:.0f} %",
            _date(network["plan"]["end"]), network["risk"], network["delay_stage"] or "—",
            "abgeschlossen" if network["done"] else _basis(network),
        )
    console.print(table)
    counts: dict[str, int] = {}
    for network in data["networks"]:
        counts[network["risk"]] = counts.get(network["risk"], 0) + 1
    console.print(", ".join(f"{word}: {count}" for word, count in counts.items()), highlight=False)
