"""``verbund report``: the ministry's build-out report as of a date, written to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from verbund.cli.common import console, errors
from verbund.domain.errors import DomainError


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    as_of: Annotated[str, typer.Option("--as-of", help="Stichtag TT.MM.JJJJ oder JJJJ-MM-TT (Ende des Tages, "
                                                       "Europe/Berlin); nicht nach heute ohne --allow-future.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Ausgabedatei.")],
    fmt: Annotated[str, typer.Option("--format", help="md, html, pdf, xlsx oder csv.")] = "pdf",
    region: Annotated[str | None, typer.Option("--region", help="Nur diese Region (Slug).")] = None,
    compare_to: Annotated[
        str | None, typer.Option("--compare-to", help="Vergleichsstichtag (vor --as-of): was sich verändert hat.")
    ] = None,
    allow_future: Annotated[bool, typer.Option(
        "--allow-future", help="Einen Stichtag nach heute erlauben; der Bericht heißt dann „Vorausschau“.")] = False,
) -> None:
    """Bericht „Stand des Aufbaus der Kooperationsverbünde“ zum Stichtag (aus dem Ereignisverlauf)."""
    from verbund.services.app.bootstrap import bootstrap
    from verbund.services.app.clock import local_date
    from verbund.services.app.settings import Settings
    from verbund.services.report import check_format, check_report_dates, parse_day, write_report

    try:
        day = parse_day(as_of, "--as-of")
        other = parse_day(compare_to, "--compare-to") if compare_to else None
        kind = check_format(fmt)
        app = bootstrap(Settings())
        try:
            preview = check_report_dates(day, other, local_date(app.now()), allow_future=allow_future)
            result = write_report(app, day, kind, output, region=region, compare_to=other, preview=preview)
        finally:
            app.engine.dispose()
    except DomainError as error:
        errors.print(f"[bold red]Fehler:[/] {error}", highlight=False)
        raise typer.Exit(1) from error
    console.print(f"Bericht geschrieben: {output} ({kind}, Stichtag {day:%d.%m.%Y})", highlight=False)
    console.print(result.summary, highlight=False)
