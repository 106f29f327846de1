"""The ``verbund`` command: init, demo, status, stage show|advance|waive.

Settings come from the environment (prefix ``VERBUND_``); see ``verbund --help``.
"""

# ruff: noqa: E402  (the imports follow gc.disable() on purpose, see below)
from __future__ import annotations

import gc

# Start-up allocates about a million objects that live as long as the process (SQLAlchemy, pydantic,
# typer, our tables); the cyclic collector walked them hundreds of times while they loaded, a fifth
# of a short command's time (issue 14). Nothing of it is garbage: collection resumes at the end of
# this module, and the console entry point then freezes it all (``VerbundTyper.__call__``).
_COLLECTING = gc.isenabled()
gc.disable()

import os
from typing import Annotated, Any

import typer
from rich.table import Table

from verbund.cli import german
from verbund.cli.common import AtOption, JsonOption, console, domain_errors, errors
from verbund.cli.common import at_option as _at
from verbund.cli.common import fail as _fail
from verbund.cli.common import print_json as _print_json
from verbund.cli.embedded import EMBEDDED_NOTE, VerbundTyper, configure_embedded_prefect, is_prefect_start_failure
from verbund.cli.lazy import lazy_commands
from verbund.domain.errors import DomainError, InvalidInput
from verbund.domain.formatting import count, local_date
from verbund.domain.process import load_template
from verbund.domain.stages import STATE_LABELS
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import parse_instant
from verbund.services.app.settings import Settings

# The features' commands by module (verbund.cli.<module>, whose ``register(app)`` adds them), imported
# when first used (cli/lazy.py); the order is the order of ``verbund --help``.
FEATURE_COMMANDS = {
    "notify": ("remind", "outbox"), "report": ("report",), "importing": ("import", "assign", "coverage", "foci"),
    "templates": ("templates",), "dashboard": ("serve", "user"), "governance": ("decision", "agreement", "step"),
    "directory": ("partner", "contact"), "stagework": ("goal", "consultation", "protocol"),
    "networks": ("network", "school"), "forecast": ("forecast",), "announce": ("announce",), "ferien": ("ferien",),
    "privacy": ("privacy",),
}
COMMANDS = {name: f"verbund.cli.{module}" for module, names in FEATURE_COMMANDS.items() for name in names}

german.install()  # "Aufruf", "Optionen", "Befehle" instead of click's English frame
app = VerbundTyper(
    cls=lazy_commands(COMMANDS),
    name="verbund",
    help="Aufbau regionaler Bildungsnetzwerke (Kooperationsverbünde) mit Prefect.\n\n"
    "Umgebung: VERBUND_DATABASE_URL (Standard: SQLite-Datei im Benutzerdatenverzeichnis), "
    "VERBUND_NOW (ISO-Zeitpunkt, der beim Start als 'jetzt' gilt), PREFECT_API_URL (Prefect-Server).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
stage_app = typer.Typer(help="Eine Stufe eines Verbunds anzeigen, weiterschalten oder erlassen.", no_args_is_help=True)
app.add_typer(stage_app, name="stage")


@app.callback()
def _configure() -> None:
    # Environment variables only: Prefect is imported by the commands that run flows, not here.
    configure_embedded_prefect()
    _check_now()


def _check_now() -> None:
    """A bad ``VERBUND_NOW`` ends every command with one German line (domain.dates), not a traceback."""
    import os

    value = os.environ.get("VERBUND_NOW")
    if value:
        try:
            parse_instant(value, "VERBUND_NOW")
        except DomainError as error:
            errors.print(f"[bold red]Fehler:[/] {error}", highlight=False)
            raise typer.Exit(1) from error


def _app(*, in_process: bool = False, sweep: bool = False) -> App:
    """The app with the configured trigger; ``in_process`` forces stage flows to run here (demo).

    ``sweep`` (commands that run flows): first run the stage flows whose trigger a crash lost
    (``flows.reconcile``; with nothing pending one query, no flow)."""
    from verbund.flows.runtime import use_app
    from verbund.flows.trigger import EmbeddedTrigger, make_trigger

    settings = Settings()
    trigger = (EmbeddedTrigger(raise_if=is_prefect_start_failure) if in_process
               else make_trigger(settings, raise_if=is_prefect_start_failure))
    built = bootstrap(settings, trigger=trigger)
    use_app(built)
    if sweep:
        collecting = gc.isenabled()
        gc.disable()  # Prefect's import, as this module's own (see the top)
        try:
            from verbund.flows.reconcile import sweep_at_start
        finally:
            if collecting:
                gc.enable()
        sweep_at_start(built)
    return built


@app.command()
def init() -> None:
    """Datenbank anlegen bzw. auf den neuesten Stand migrieren."""
    settings = Settings()
    try:
        bootstrap(settings)
    except Exception as error:
        raise _fail(error) from error
    console.print(f"Datenbank bereit: {settings.safe_database_url()}")


@app.command()
def status(
    json_output: JsonOption = False,
    region: Annotated[str | None, typer.Option(help="Nur diese Region.")] = None,
) -> None:
    """Alle Verbünde mit dem Zustand jeder Stufe."""
    from verbund.services.readmodels.queries import status as status_query

    data = status_query(_app(), region=region)
    if json_output:
        from verbund.services.readmodels.read_models import Status, as_json

        _print_json(as_json(Status, data))
        return
    if not data["networks"]:
        console.print("Noch keine Verbünde. Beispiel laden: [bold]verbund demo[/]")
        return
    colours = {"pending": "dim", "open": "yellow", "ready": "cyan", "completed": "green", "waived": "magenta"}
    templates = list(dict.fromkeys(network["template"] for network in data["networks"]))
    for template in templates:  # one table per process template: its own stages (issue 8)
        networks = [network for network in data["networks"] if network["template"] == template]
        names = list(dict.fromkeys(stage["name"] for network in networks for stage in network["stages"]))
        process = load_template(template)
        title = "Stand der Verbünde" + (f" ({process.name})" if len(templates) > 1 else "")
        table = Table(title=title)
        table.add_column("Verbund")
        table.add_column("Region")
        for name in names:
            table.add_column(process.stage(name).title if name in process.stage_names else name)
        for network in networks:
            latest = {stage["name"]: stage for stage in network["stages"]}  # the latest occurrence of each
            cells = [_cell(latest[name], colours) if name in latest else "" for name in names]
            table.add_row(network["slug"], network["region"], *cells)
        console.print(table)
    for network in data["networks"]:  # never silently skip a partner (issue 12)
        missing = network.get("unreachable_members", {"count": 0})
        if missing["count"]:
            shown = ", ".join(o["name"] for o in missing["organisations"][:10])
            more = f" und {missing['count'] - 10} weitere" if missing["count"] > 10 else ""
            members = count(missing["count"], "Mitglied", "Mitglieder")
            console.print(f"[yellow]{network['slug']}: {members} ohne erreichbare Ansprechperson[/] ({shown}{more})",
                          highlight=False)


def _cell(stage: dict[str, Any], colours: dict[str, str]) -> str:
    text = f"[{colours[stage['state']]}]{STATE_LABELS[stage['state']]}[/]"
    if stage.get("cycle", 1) > 1:
        text += f" [dim](Durchlauf {stage['cycle']})[/]"
    if stage["state"] in ("open", "ready") and stage["due"]:
        text += f"\n[dim]bis {local_date(stage['due'])}[/]"
    return text


@app.command()
def demo(
    template: Annotated[str, typer.Option("--template", help="Prozessvorlage (verbund templates list).")]
    = "sachsen-inklusion",
    network: Annotated[list[str] | None, typer.Option(
        "--network", help="Nur diesen Verbund der Beispielregion durch die Stufen führen (mehrfach möglich; "
        "nur sachsen-inklusion).")] = None,
) -> None:
    """Beispielregion laden und alle Verbünde mit simulierten Eingaben durch alle Stufen führen."""
    from verbund.cli.demo import DEMO_START, run_demo
    from verbund.flows.local_server import own_ephemeral_server

    settings = Settings()
    own_ephemeral_server()
    built = _app(in_process=True, sweep=True)  # the demo drives its simulated clock step by step
    start = parse_instant(settings.now, "VERBUND_NOW") if settings.now else DEMO_START
    console.print(f"Datenbank: {settings.safe_database_url()}")
    console.print(f"Prefect: {os.environ.get('PREFECT_API_URL') or EMBEDDED_NOTE}")
    with domain_errors():
        result = run_demo(built, start=start, console=console, template=template, networks=network)
    console.print(
        f"Demo beendet: {count(len(result.networks), 'Verbund', 'Verbünde')} in {result.region}, "
        f"{result.completed} von {result.expected} Stufen abgeschlossen."
    )
    for failure in result.failures:
        errors.print(f"[red]Fehlgeschlagener Lauf:[/] {failure}")
    console.print("Ansehen: [bold]verbund status[/], [bold]verbund stage show NETZWERK STUFE[/]; "
                  f"Datenbank: {settings.safe_database_url()}")
    if not os.environ.get("PREFECT_API_URL"):
        console.print("Läufe in der Prefect-Oberfläche sehen: [bold]verbund serve[/] starten (lokaler Prefect-Server "
                      "mit Oberfläche), dann erneut ausführen; oder [bold]make run[/].")
    if not result.ok:
        raise typer.Exit(1)


def _print_stage(data: dict[str, Any]) -> None:
    console.print(f"[bold]{data['network']} · {data['stage']}[/] ({data['title']}), Durchlauf {data['cycle']}")
    console.print(f"Zustand: {STATE_LABELS[data['state']]} ({data['state']}); fällig: {data['due'] or '—'}; "
                  f"Abnahme durch Prozessverantwortliche: {'ja' if data['sign_off'] else 'nein'}")
    if data["waiver_reason"]:
        console.print(f"Verzicht: {data['waiver_reason']}")
    for item in data["unmet"]:
        console.print(f"  [yellow]offen:[/] {item}", highlight=False)
    if data["events"]:
        table = Table(title="Verlauf")
        for column in ("Zeitpunkt", "Wer", "Aktion", "Von → Nach", "Grund"):
            table.add_column(column)
        for event in data["events"]:
            move = f"{event['from']} → {event['to']}" if event["to"] else ""
            table.add_row(event["at"], event["actor"], event["action"], move, event["reason"] or "")
        console.print(table)


@stage_app.command("show")
def stage_show(network: str, stage: str, json_output: JsonOption = False, at: AtOption = None) -> None:
    """Zustand, Fälligkeit, offene Kriterien und Verlauf einer Stufe."""
    from verbund.services.stages.lifecycle import show_stage

    with domain_errors():
        data = show_stage(_app(), network, stage, _at(at))
    if json_output:
        from verbund.services.readmodels.read_models import StageView, as_json

        _print_json(as_json(StageView, data))
    else:
        _print_stage(data)


@stage_app.command("advance")
def stage_advance(
    network: str, stage: str, at: AtOption = None,
    by: Annotated[str | None, typer.Option("--by", help="E-Mail der handelnden Person; eine Abnahme braucht eine "
                                                         "angelegte Prozessverantwortliche.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Den einen nächsten erlaubten Übergang machen oder sagen, warum keiner möglich ist."""
    from verbund.cli.common import decider
    from verbund.services.access.actors import advance_is_sign_off
    from verbund.services.stages.lifecycle import advance_stage

    with domain_errors():
        built, when = _app(sweep=True), _at(at)
        if advance_is_sign_off(built, network, stage):  # a sign-off needs a process owner (docs/cli.md)
            by = decider(built, by or "", network, when)
        report = advance_stage(built, network, stage, by=by, at=when)
    if json_output:
        _print_json(report.to_dict())
    else:
        console.print(f"{network} · {stage}: {', '.join(report.transitions)} → {STATE_LABELS[report.state]}")


@stage_app.command("reopen")
def stage_reopen(
    network: str, stage: str,
    reason: Annotated[str, typer.Option("--reason", help="Begründung der Wiedereröffnung (Pflicht).")],
    by: Annotated[str, typer.Option("--by", help="E-Mail einer angelegten Prozessverantwortlichen (Pflicht).")],
    at: AtOption = None,
    json_output: JsonOption = False,
) -> None:
    """Eine abgeschlossene oder erlassene Stufe für eine Korrektur wiedereröffnen (nur Prozessverantwortliche).

    Protokolliert; der Stufenlauf läuft erneut, die Stufe nimmt wieder Eingaben an und wartet auf eine neue Abnahme.
    """
    from verbund.services.stages.lifecycle import reopen_stage

    _decided_stage_action(
        reopen_stage, network, stage, reason=reason, by=by, at=at, json_output=json_output,
        missing_reason="--reason: eine Wiedereröffnung braucht eine Begründung",
        done=lambda report: f"{network} · {stage}: wiedereröffnet ({reason}), jetzt {STATE_LABELS[report.state]}",
    )


@stage_app.command("waive")
def stage_waive(
    network: str, stage: str,
    reason: Annotated[str, typer.Option("--reason", help="Begründung des Verzichts (Pflicht).")],
    by: Annotated[str, typer.Option("--by", help="E-Mail einer angelegten Prozessverantwortlichen (Pflicht; bei "
                                                  "Nacherfassung mit --at genügt ein Name).")],
    at: AtOption = None,
    json_output: JsonOption = False,
) -> None:
    """Eine Stufe mit Begründung erlassen (nur Prozessverantwortliche)."""
    from verbund.services.stages.lifecycle import waive_stage

    _decided_stage_action(
        waive_stage, network, stage, reason=reason, by=by, at=at, json_output=json_output,
        missing_reason="--reason: ein Verzicht braucht eine Begründung",
        done=lambda report: f"{network} · {stage}: erlassen ({reason})",
    )


def _decided_stage_action(
    run: Any, network: str, stage: str, *, reason: str, by: str, at: str | None, json_output: bool,
    missing_reason: str, done: Any,
) -> None:
    """A stage action a process owner decides with a reason (waive, reopen): check, run, print."""
    from verbund.cli.common import decider

    with domain_errors():
        built, when = _app(sweep=True), _at(at)
        if not reason.strip():
            raise InvalidInput(missing_reason)
        report = run(built, network, stage, reason=reason, by=decider(built, by, network, when), at=when)
    if json_output:
        _print_json(report.to_dict())
    else:
        console.print(done(report))


@stage_app.command("extend")
def stage_extend(
    network: str, stage: str,
    until: Annotated[str, typer.Option("--until", help="Neue Frist (TT.MM.JJJJ/JJJJ-MM-TT), nach der bisherigen.")],
    reason: Annotated[str, typer.Option("--reason", help="Begründung der Verlängerung (Pflicht; im Verlauf).")],
    by: Annotated[str, typer.Option("--by", help="E-Mail einer angelegten Prozessverantwortlichen (Pflicht; bei "
                                                  "Nacherfassung mit --at genügt ein Name).")],
    at: AtOption = None,
    json_output: JsonOption = False,
) -> None:
    """Die Frist einer offenen Stufe mit Begründung verlängern (nur Prozessverantwortliche)."""
    from verbund.cli.common import decider
    from verbund.domain.dates import parse_day
    from verbund.services.stages.deadlines import extend_deadline

    with domain_errors():
        day = parse_day(until, "--until")
        built, when = _app(), _at(at)
        result = extend_deadline(built, network, stage, until=day, reason=reason,
                                 by=decider(built, by, network, when), at=when)
    if json_output:
        _print_json(result)
    else:
        console.print(f"{network} · {stage}: Frist von {result['previous_due']} auf {result['due']} verlängert "
                      f"({reason})", highlight=False)


def main() -> None:  # pragma: no cover - console entry
    app()


if _COLLECTING:
    gc.enable()
