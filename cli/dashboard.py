"""``verbund serve`` (the dashboard, with the daily reminder sweep in embedded mode) and ``verbund user``."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import sys
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from verbund.cli.common import console, domain_errors, fail
from verbund.cli.embedded import LOCAL_URL_ENV
from verbund.domain.errors import DomainError
from verbund.domain.formatting import count

if TYPE_CHECKING:
    pass

log = logging.getLogger("verbund.serve")
user_app = typer.Typer(help="Benutzer des Dashboards anlegen, auflisten, deaktivieren, Passwörter setzen oder "
                              "zurücksetzen.", no_args_is_help=True)
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Passwort aus der Standardeingabe lesen.")]
SWEEP_HOUR = 8  # the daily reminder sweep, Europe/Berlin, as the deployment's cron: the first hour messages may go out


def _password(stdin: bool) -> str:
    if not stdin:
        raise typer.BadParameter("das Passwort wird nur über --password-stdin angenommen (nie als Argument)")
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        raise typer.BadParameter("kein Passwort auf der Standardeingabe")
    return value


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Option("--email", help="E-Mail-Adresse (Anmeldename).")],
    role: Annotated[str, typer.Option("--role", help="ministry, process_owner oder coordinator.")],
    region: Annotated[str | None, typer.Option(
        "--region", help="Region (Slug) oder Land (SN) der Prozessverantwortlichen.")] = None,
    network: Annotated[str | None, typer.Option("--network", help="Verbund (Slug) der Koordination.")] = None,
    name: Annotated[str, typer.Option("--name", help="Anzeigename.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Benutzer anlegen (oder einem bestehenden einen weiteren Bereich geben)."""
    from verbund.cli.main import _app
    from verbund.services.access.users import add_user

    with domain_errors():
        created = add_user(_app(), email=email, role=role, password=_password(password_stdin), name=name,
                           region=region, network=network)
    console.print(f"Benutzer {email} {'angelegt' if created else 'erweitert'} ({role}).")


@user_app.command("set-password")
def user_set_password(
    email: Annotated[str, typer.Option("--email", help="E-Mail-Adresse.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Passwort setzen; alle Sitzungen der Person enden."""
    from verbund.cli.main import _app
    from verbund.services.access.users import set_password

    with domain_errors():
        set_password(_app(), email=email, password=_password(password_stdin))
    console.print(f"Passwort für {email} gesetzt.")


@user_app.command("list")
def user_list(json_output: Annotated[bool, typer.Option("--json", help="Ausgabe als JSON.")] = False) -> None:
    """Alle Benutzer mit Rolle, Bereich und ob sie aktiv sind."""
    import json

    from rich.table import Table

    from verbund.cli.main import _app
    from verbund.services.access.user_admin import list_users

    users = list_users(_app())
    if json_output:
        sys.stdout.write(json.dumps({"users": users}, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="Benutzer des Dashboards")
    for column in ("E-Mail", "Name", "Rolle", "Bereich", "aktiv"):
        table.add_column(column)
    for user in users:
        table.add_row(user["email"], user["name"], user["role"], ", ".join(user["scopes"]) or "alles (lesend)",
                      "ja" if user["active"] else "nein")
    console.print(table)


@user_app.command("deactivate")
def user_deactivate(email: Annotated[str, typer.Option("--email", help="E-Mail-Adresse.")]) -> None:
    """Einen Benutzer deaktivieren: keine Anmeldung mehr, alle Sitzungen enden."""
    from verbund.cli.main import _app
    from verbund.services.access.user_admin import deactivate_user

    with domain_errors():
        deactivate_user(_app(), email)
    console.print(f"Benutzer {email} deaktiviert.")


@user_app.command("reset-password")
def user_reset_password(
    email: Annotated[str, typer.Option("--email", help="E-Mail-Adresse.")],
    days: Annotated[int, typer.Option("--days", min=1, max=14, help="Gültigkeit des Links in Tagen.")] = 2,
) -> None:
    """Passwort zurücksetzen: das alte gilt nicht mehr, Sitzungen enden; ausgegeben wird ein einmaliger Link."""
    from verbund.cli.main import _app
    from verbund.services.access.user_admin import reset_password

    with domain_errors():
        link = reset_password(_app(), email, by="cli", days=days)
    console.print(f"Einmaliger Link für {email} ({count(days, 'Tag', 'Tage')} gültig):", highlight=False)
    sys.stdout.write(link + "\n")


@user_app.command("stand-in")
def user_stand_in(
    email: Annotated[str, typer.Option("--email", help="E-Mail der abwesenden Koordination.")],
    stand_in: Annotated[str, typer.Option("--stand-in", help="E-Mail der Vertretung (Koordination).")],
    until: Annotated[str, typer.Option("--until", help="Letzter Tag der Vertretung (TT.MM.JJJJ/JJJJ-MM-TT).")],
) -> None:
    """Eine Vertretung für die Abwesenheit einer Koordination eintragen."""
    from verbund.cli.main import _app
    from verbund.services.access.users import set_stand_in

    try:
        from verbund.domain.access import stand_in_end
        from verbund.domain.dates import parse_day

        end = stand_in_end(parse_day(until, "--until"))
        set_stand_in(_app(), coordinator=email, stand_in=stand_in, until=end, by="cli")
    except (DomainError, ValueError) as error:
        raise fail(error) from error
    console.print(f"{stand_in} vertritt {email} bis einschließlich {until}.")


def refresh_forecasts_once() -> None:
    """Today's forecasts, computed ahead for the dashboard (issue 19); a failure is logged, never fatal."""
    try:
        from verbund.services.app.bootstrap import bootstrap
        from verbund.services.app.settings import Settings
        from verbund.services.forecast.cache import refresh_forecasts

        app = bootstrap(Settings(), migrate_database=False)
        try:
            refresh_forecasts(app)
        finally:
            app.engine.dispose()
    except Exception as error:
        log.error("Prognose konnte nicht berechnet werden (wird beim nächsten Seitenaufruf wiederholt): %s", error)


def run_sweep_once() -> None:
    """One reminder sweep; any failure is logged, never fatal for the server (the next day repeats it)."""
    try:
        from prefect.utilities.asyncutils import run_coro_as_sync

        from verbund.flows.reminders import reminder_sweep

        run_coro_as_sync(reminder_sweep())
    except Exception as error:
        log.error("Erinnerungslauf fehlgeschlagen (wird morgen wiederholt): %s", error)
    try:  # issue 18: the retention run follows the daily sweep (on a server: deployment privacy-purge)
        from prefect.utilities.asyncutils import run_coro_as_sync

        from verbund.flows.privacy import privacy_purge

        run_coro_as_sync(privacy_purge())
    except Exception as error:
        log.error("Aufbewahrungslauf fehlgeschlagen (wird morgen wiederholt): %s", type(error).__name__)


def _demo_logins(app: object) -> list[tuple[str, str, str]]:
    """Users for the demo region with fresh passwords: (label, email, password)."""
    from verbund.services.access.users import add_user, set_password
    from verbund.services.app.bootstrap import App
    from verbund.services.demo.sample import REGION_SLUG
    from verbund.services.directory.setup import region_networks

    assert isinstance(app, App)
    network = region_networks(app, REGION_SLUG)[0]
    rows = [("Ministerium", "ministerium@demo.verbund.example", "ministry", None, None),
            ("Prozessverantwortliche", "prozess@demo.verbund.example", "process_owner", REGION_SLUG, None),
            ("Koordination", "koordination@demo.verbund.example", "coordinator", None, network)]
    logins = []
    for label, email, role, region, net in rows:
        password = secrets.token_urlsafe(12)
        add_user(app, email=email, role=role, password=password, region=region, network=net)
        set_password(app, email=email, password=password)
        logins.append((label, email, password))
    return logins


def serve(
    host: Annotated[str, typer.Option("--host", help="Adresse, an die der Server bindet.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port des Dashboards (und der Links in Nachrichten, "
                                      "solange VERBUND_PUBLIC_URL nicht gesetzt ist).")] = 8000,
    demo_logins: Annotated[bool, typer.Option("--demo-logins", help="Demo-Zugänge je Rolle anlegen und anzeigen.")]
    = False,
    sweep: Annotated[bool, typer.Option("--sweep/--no-sweep", help="Täglicher Erinnerungslauf (nur eingebettet).")]
    = True,
    demo: Annotated[bool, typer.Option("--demo", help="Vorher die Demo gegen den lokalen Prefect-Server ausführen.")]
    = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, max=64, help="Anzahl der Prozesse (uvicorn-Worker); Vorgabe: 1 mit SQLite, "
        "mit PostgreSQL die Hälfte der Kerne (mindestens 1). Die eingebetteten Zeitpläne laufen je "
        "Zeitfenster einmal.")] = None,
) -> None:
    """Das Dashboard bereitstellen (http://HOST:PORT) mit einem lokalen Prefect-Server samt Oberfläche, bis es
    unterbrochen wird. Andere verbund-Befehle auf derselben Datenbank nutzen diesen Server; ein zweites
    'verbund serve' auf derselben Datenbank bricht mit einem Hinweis auf das laufende ab."""
    os.environ["VERBUND_DASHBOARD_PORT"] = str(port)  # Prefect's servers never take the dashboard's port
    os.environ.setdefault("VERBUND_PUBLIC_URL", f"http://{_public_host(host)}:{port}")
    local = claim = None
    if not os.environ.get("PREFECT_API_URL") or os.environ.get(LOCAL_URL_ENV):  # not scale-out: own the server
        from verbund.cli.local_prefect import LocalPrefectError, claim_database, start_local_prefect

        database = os.environ.get("VERBUND_DATABASE_URL")
        try:
            claim = claim_database(database)  # one serve per database: a second one refuses here
            for name in ("PREFECT_API_URL", LOCAL_URL_ENV):  # a discovery file whose owner holds no claim
                os.environ.pop(name, None)
            local = start_local_prefect(database, avoid_port=port, dashboard=f"http://{_public_host(host)}:{port}")
        except LocalPrefectError as error:
            if claim is not None:
                claim.release()
            raise fail(error) from error
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)  # so that the finally below runs
    try:
        _serve(host, port, demo_logins=demo_logins, sweep=sweep, demo=demo, ui_url=local.ui_url if local else None,
               workers=workers)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if local is not None:
            local.stop()
        if claim is not None:
            claim.release()


def _public_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (compared, not bound)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _serve(host: str, port: int, *, demo_logins: bool, sweep: bool, demo: bool, ui_url: str | None,
           workers: int | None = None) -> None:
    import uvicorn

    from verbund.cli.main import _app
    from verbund.cli.main import demo as run_demo
    from verbund.cli.main import status as print_status
    from verbund.dashboard import create_app
    from verbund.dashboard.app import settle_heap
    from verbund.flows.trigger import execution_mode

    if demo:
        with contextlib.suppress(typer.Exit):  # failed runs are reported; the dashboard shows the rest
            run_demo()
        print_status()
    app = _app(sweep=True)
    if demo_logins:
        try:
            for label, email, password in _demo_logins(app):
                console.print(f"Anmeldung {label}: [bold]{email}[/] / [bold]{password}[/]", soft_wrap=True)
        except (DomainError, IndexError) as error:
            raise fail(f"Demo-Zugänge: erst 'verbund demo' ausführen ({error})") from error  # type: ignore[arg-type]
    from verbund.cli.schedules import WORKERS_ENV, default_workers, start_schedules

    processes = workers or default_workers(app.settings.database_url)
    stop = threading.Event()
    embedded = execution_mode(app.settings) == "embedded"
    if sweep and embedded:
        console.print(f"Täglicher Erinnerungslauf um {SWEEP_HOUR:02d}:00 Uhr (Europe/Berlin) ist eingeplant.")
    if ui_url:
        console.print(f"Prefect-Oberfläche (alle Läufe mit Zustand): [bold]{ui_url}[/]", soft_wrap=True)
    console.print(f"Dashboard: [bold]http://{host}:{port}[/] ({processes} Prozess{'e' if processes > 1 else ''}; "
                  "Beenden mit Strg+C)")
    if processes > 1:  # each worker builds its own app and runs the schedules; a lease row picks one per slot
        os.environ[WORKERS_ENV] = "" if sweep else "no-sweep"
        app.engine.dispose()
        uvicorn.run("verbund.cli.schedules:worker_app", factory=True, host=host, port=port, workers=processes,
                    log_level="warning")
        return
    if embedded:
        start_schedules(app, stop, sweep=sweep)
    # Start-up leaves ~300,000 long-lived objects (Prefect, SQLAlchemy, pydantic); frozen, the
    # collector's full passes take milliseconds instead of stalling every request for ~200 ms.
    settle_heap()
    try:
        uvicorn.run(create_app(app), host=host, port=port, log_level="warning")
    finally:
        stop.set()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(user_app, name="user")
