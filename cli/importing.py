"""``verbund import sachsen|nrw|csv``, ``verbund assign rules|school|suggest``, ``verbund coverage``,
``verbund foci``: the Länder's school databases, schools into networks, and the coverage check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from verbund.cli.common import JsonOption, console, domain_errors, errors, fail, print_json
from verbund.domain.errors import DomainError
from verbund.domain.formatting import count
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.settings import Settings
from verbund.services.importers import Adapter, ImportReport, Problem
from verbund.services.importers.apply import Progress as ProgressCallback

DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Alles prüfen und zählen, nichts speichern.")]
KeepMissingOption = Annotated[bool, typer.Option(
    "--keep-missing", help="Schulen, die in der Datei fehlen, nicht schließen (für Teillieferungen).")]
FileArgument = Annotated[Path, typer.Argument(help="Die Datei der Schuldatenbank.")]
ProgressOption = Annotated[bool, typer.Option(
    "--progress", help="Fortschrittsbalken auch ohne Terminal zeigen (stderr), z. B. in Protokolldateien.")]

import_app = typer.Typer(help="Schuldatenbanken der Länder importieren (Sachsen-API, NRW schuldaten.csv, CSV).",
                         no_args_is_help=True)
assign_app = typer.Typer(help="Schulen Verbünden zuordnen: Regeln, manuelle Zuordnung, Vorschläge.",
                         no_args_is_help=True)


def _plain_app() -> App:
    return bootstrap(Settings())


@contextmanager
def _progress(force: bool) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr when it is a terminal (or always with ``--progress``)."""
    target = Console(stderr=True, force_terminal=True) if force else errors
    if not target.is_terminal:
        yield None
        return
    with Progress(console=target, transient=not force) as bar:
        task = bar.add_task("Schulen übernehmen", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _run_import(adapter: Adapter, path: Path, dry_run: bool, json_output: bool, keep_missing: bool,
                progress_bar: bool = False) -> None:
    from verbund.services.importers import import_file

    with domain_errors():
        app = _plain_app()
        with _progress(progress_bar) as progress:
            report = import_file(app, adapter, path, dry_run=dry_run, close_missing=not keep_missing,
                                 progress=progress)
    if json_output:
        print_json(report.to_dict())
    else:
        _print_report(report)


def _print_report(report: ImportReport) -> None:
    prefix = "Probelauf (nichts gespeichert): " if report.dry_run else ""
    console.print(f"{prefix}{report.source}: {report.created} neu, {report.updated} geändert, "
                  f"{report.unchanged} unverändert, {report.closed} geschlossen, "
                  f"{report.out_of_scope} nicht zuzuordnen, {len(report.rejected)} abgelehnt "
                  f"(davon {report.not_imported} Schulen im Geltungsbereich nicht importiert).")
    _print_problems(report.rejected, report.notes)


def _print_problems(rejected: list[Problem], notes: list[Problem]) -> None:
    for title, problems in (("Abgelehnt", rejected), ("Hinweise", notes)):
        if problems:
            table = Table(title=title)
            for column in ("Wo", "Feld", "Grund"):
                table.add_column(column)
            for problem in problems:
                table.add_row(problem.where, problem.field, problem.reason)
            console.print(table)


@import_app.command("sachsen")
def import_sachsen(file: FileArgument, dry_run: DryRunOption = False, json_output: JsonOption = False,
                   keep_missing: KeepMissingOption = False, progress: ProgressOption = False) -> None:
    """Sächsische Schuldatenbank (JSON der API /api/v1/schools)."""
    from verbund.services.importers import SachsenAdapter

    _run_import(SachsenAdapter(), file, dry_run, json_output, keep_missing, progress)


@import_app.command("nrw")
def import_nrw(file: FileArgument, dry_run: DryRunOption = False, json_output: JsonOption = False,
               keep_missing: KeepMissingOption = False, progress: ProgressOption = False) -> None:
    """Schuldaten des Schulministeriums NRW (schuldaten.csv)."""
    from verbund.services.importers import NrwAdapter

    _run_import(NrwAdapter(), file, dry_run, json_output, keep_missing, progress)


@import_app.command("csv")
def import_csv(
    file: FileArgument,
    mapping: Annotated[Path, typer.Option("--mapping", help="TOML-Datei mit der Spaltenzuordnung.")],
    dry_run: DryRunOption = False, json_output: JsonOption = False, keep_missing: KeepMissingOption = False,
    progress: ProgressOption = False,
) -> None:
    """Beliebige CSV-Datei mit einer Spaltenzuordnung in TOML (Format: docs/import.md)."""
    from verbund.services.importers import MappedCsvAdapter, load_mapping

    with domain_errors():
        adapter = MappedCsvAdapter(load_mapping(mapping))
    _run_import(adapter, file, dry_run, json_output, keep_missing, progress)


@import_app.command("coordinates")
def import_coordinates(
    file: Annotated[Path, typer.Argument(help="CSV mit Dienststellenschlüssel und Koordinaten.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="TOML: [columns] key, latitude, longitude (, name); "
                                                            "delimiter (docs/import.md).")],
    dry_run: DryRunOption = False, json_output: JsonOption = False,
) -> None:
    """Koordinaten über den Dienststellenschlüssel an importierte Schulen anfügen (teilen sich Schulen
    einen Schlüssel, erhalten alle dieselben); meldet, was nicht passt."""
    from verbund.services.importers.coordinates import import_coordinates as join

    with domain_errors():
        report = join(_plain_app(), file, mapping, dry_run=dry_run)
    if json_output:
        print_json(report.to_dict())
        return
    prefix = "Probelauf: " if dry_run else ""
    console.print(f"{prefix}{report.rows} Zeilen, {report.matched_keys} Schlüssel gefunden: {report.updated} Schulen "
                  f"aktualisiert, {report.unchanged} unverändert; {report.unmatched} Zeilen ohne passende Schule; "
                  f"{report.without_coordinates} Schulen im Geltungsbereich weiter ohne Koordinaten.", highlight=False)
    for problem in report.rejected[:20]:
        errors.print(f"  {problem.where}, {problem.field}: {problem.reason}", highlight=False)
    for row in report.schools_without_coordinates[:20]:
        console.print(f"  [yellow]ohne Koordinaten:[/] {row['school']} {row['name']} (Schlüssel "
                      f"{row['service_key'] or '—'})", highlight=False)


@assign_app.command("rules")
def assign_rules(
    file: Annotated[Path, typer.Argument(help="TOML-Datei mit [[networks]] und ihren Kreisen, Gemeinden, Schulen.")],
    dry_run: DryRunOption = False, json_output: JsonOption = False,
    by: Annotated[str, typer.Option("--by", help="Wer zuordnet (für das Protokoll).")] = "system",
) -> None:
    """Nicht zugeordnete Schulen nach Regeln zuordnen (Schulliste vor Gemeinde vor Kreis)."""
    from verbund.cli.main import _app
    from verbund.services.importers.assignment import apply_rules, load_rules

    with domain_errors():
        report = apply_rules(_app(sweep=True), load_rules(file), dry_run=dry_run, by=by)
    if json_output:
        print_json(report.to_dict())
        return
    console.print(f"{report.assigned} zugeordnet, {report.unchanged} unverändert, {report.kept} anders zugeordnet "
                  f"belassen, {report.unmatched} ohne Regel, {len(report.conflicts)} Konflikte.")
    for conflict in report.conflicts:
        console.print(f"  [yellow]Konflikt:[/] {conflict['source_id']} {conflict['name']}: {conflict['reason']}")


@assign_app.command("mapping")
def assign_mapping(
    file: Annotated[Path, typer.Argument(help="CSV-Datei mit den Spalten school (Kennung oder QUELLE:KENNUNG) "
                                              "und network (Slug des Verbunds).")],
    dry_run: DryRunOption = False, json_output: JsonOption = False,
    by: Annotated[str, typer.Option("--by", help="Wer zuordnet (für das Protokoll).")] = "system",
) -> None:
    """Schulen nach einer Zuordnungsdatei (CSV: school;network) Verbünden zuordnen, ganz oder gar nicht."""
    from verbund.cli.main import _app
    from verbund.services.importers.explicit import apply_mapping

    with domain_errors():
        report = apply_mapping(_app(sweep=True), file, dry_run=dry_run, by=by)
    if json_output:
        print_json(report.to_dict())
    else:
        prefix = "Probelauf (nichts gespeichert): " if report.dry_run else ""
        console.print(f"{prefix}{report.assigned} zugeordnet, {report.unchanged} unverändert, {report.kept} anders "
                      f"zugeordnet belassen, {report.skipped} übersprungen, {len(report.rejected)} abgelehnt.")
        _print_problems(report.rejected, report.notes)
    if report.rejected:
        errors.print(f"[bold red]Fehler:[/] {len(report.rejected)} fehlerhafte Zeilen in {file.name}; "
                     "nichts wurde gespeichert.", highlight=False)
        raise typer.Exit(1)


@assign_app.command("school")
def assign_school(
    school: Annotated[str, typer.Argument(help="QUELLE:KENNUNG, z. B. sachsen:1003 oder nrw:100014.")],
    network: Annotated[str, typer.Argument(help="Slug des Verbunds.")],
    by: Annotated[str, typer.Option("--by", help="E-Mail der handelnden Person (Pflicht).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Begründung.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Eine Schule manuell einem Verbund zuordnen (bleibt bei erneuten Importen und Regelläufen)."""
    from verbund.cli.main import _app
    from verbund.services.importers.assignment import assign_school as assign

    with domain_errors():
        result = assign(_app(sweep=True), school, network, by=by, reason=reason)
    if json_output:
        print_json(result)
    else:
        console.print(f"{school} → {network}" + ("" if result["changed"] else " (war bereits zugeordnet)"))


@assign_app.command("suggest")
def assign_suggest(
    region: Annotated[str | None, typer.Option(help="Nur diese Region.")] = None, json_output: JsonOption = False,
) -> None:
    """Vorschläge für nicht zugeordnete Schulen: der Verbund mit der nächstgelegenen Mitgliedsschule."""
    from verbund.services.importers.assignment import suggestions

    with domain_errors():
        data = suggestions(_plain_app(), region)
    if json_output:
        print_json(data)
        return
    table = Table(title="Vorschläge für nicht zugeordnete Schulen")
    for column in ("Schule", "Name", "Verbund", "km", "Grund"):
        table.add_column(column)
    for row in data["suggestions"]:
        table.add_row(row["source_id"], row["name"], row["network"] or "—",
                      "" if row["distance_km"] is None else f"{row['distance_km']:.1f}", row["reason"])
    console.print(table)


def coverage(
    json_output: JsonOption = False,
    map_file: Annotated[Path | None, typer.Option(
        "--map", help="Zusätzlich eine Karte als SVG schreiben: je Schule mit Koordinaten ein Zeichen, Form und "
                      "Nummer je Verbund, nicht zugeordnete mit „?“.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Nur diese Region auf der Karte.")] = None,
) -> None:
    """Abdeckung je Region und Land: Schulen im Geltungsbereich, zugeordnet, nicht zugeordnet, doppelt."""
    from verbund.services.importers.coverage import coverage_report

    data = coverage_report(_plain_app())
    if map_file is not None:
        _write_map(map_file, region)
    if json_output:
        from verbund.services.readmodels.read_models import Coverage, as_json

        print_json(as_json(Coverage, data))
        return
    table = Table(title="Abdeckung: jede öffentliche Schule in genau einem Verbund")
    for column in ("Region", "Land", "Schulen", "zugeordnet", "offen", "doppelt", "ohne Ansprechperson",
                   "nicht importiert"):
        table.add_column(column)
    for row in data["regions"]:
        missing = f"[bold red]{row['not_imported']}[/]" if row["not_imported"] else "0"
        table.add_row(row["slug"], row["state"], str(row["schools_in_scope"]), str(row["assigned"]),
                      str(row["unassigned"]), str(row["assigned_twice"]), str(row["unreachable_members"]["count"]),
                      missing)
    console.print(table)
    console.print(f"{len(data['out_of_scope'])} öffentliche Einrichtungen werden nicht zugeordnet "
                  "(Gründe: verbund coverage --json).")
    for entry in data["not_imported"]:
        console.print(f"Nicht importiert ({entry['region']}): {entry['name'] or entry['source_id'] or '?'} "
                      f"– {entry['source']}, {entry['where']}, {entry['field']}: {entry['reason']}")


def _write_map(path: Path, region: str | None) -> None:
    from verbund.services.readmodels.region_map import region_points, render_svg

    try:
        points = region_points(_plain_app(), region)
        path.write_text(render_svg(points, f"Schulen und Verbünde{' in ' + region if region else ''}"),
                        encoding="utf-8")
    except DomainError as error:
        raise fail(error) from error
    except OSError as error:
        raise fail(Exception(f"--map: '{path}' nicht schreibbar ({error.strerror})")) from error
    drawn = count(len(points["schools"]), "Schule", "Schulen")
    errors.print(f"Karte: {path} ({drawn} eingezeichnet, {points['unassigned']} nicht "
                 f"zugeordnet, {points['without_coordinates']} ohne Koordinaten)", highlight=False)


def foci(network: Annotated[str | None, typer.Option(help="Nur dieser Verbund.")] = None,
         json_output: JsonOption = False) -> None:
    """Förderschwerpunkte je Verbund: Angebot (Förderschule / inklusiv) und größte Entfernung dorthin."""
    from verbund.services.importers.coverage import foci_matrix

    with domain_errors():
        data = foci_matrix(_plain_app(), network)
    if json_output:
        print_json(data)
        return
    for entry in data["networks"]:
        table = Table(title=f"Förderschwerpunkte · {entry['slug']}")
        for column in ("Förderschwerpunkt", "Angebot", "größte Entfernung (km)"):
            table.add_column(column)
        for row in entry["foci"]:
            distance = "—" if row["max_distance_km"] is None else f"{row['max_distance_km']:.1f}"
            table.add_row(row["focus"], OFFER_LABELS.get(row["offer"], "[red]fehlt[/]"), distance)
        console.print(table)
        missing = entry["without_coordinates"]
        if missing:
            console.print(f"  [yellow]{len(missing)} von {entry['member_schools']} Mitgliedsschulen ohne Koordinaten"
                          f"[/] (Entfernungen ohne sie; verbund import coordinates): {escape(', '.join(missing[:5]))}"
                          + (" …" if len(missing) > 5 else ""), highlight=False)


OFFER_LABELS = {"foerderschule": "Förderschule", "inklusiv": "inklusiv"}


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(assign_app, name="assign")
    app.command("coverage")(coverage)
    app.command("foci")(foci)
