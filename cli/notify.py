"""``verbund remind`` (one reminder sweep at "now") and ``verbund outbox`` (what was planned and sent)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from verbund.cli.common import JsonOption, console, errors, print_json
from verbund.domain.errors import DomainError
from verbund.domain.formatting import count
from verbund.domain.outbox import OutboxStatus


def remind(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Nur planen und zählen, nichts speichern oder senden.")]
    = False,
    json_output: JsonOption = False,
) -> None:
    """Ein Erinnerungslauf jetzt (VERBUND_NOW gilt): fällige Nachrichten planen und senden."""
    from prefect.utilities.asyncutils import run_coro_as_sync

    from verbund.cli.main import _app
    from verbund.flows.local_server import own_ephemeral_server
    from verbund.flows.reminders import reminder_sweep
    from verbund.services.messaging.outbox import sweep

    app = _app()
    own_ephemeral_server()
    try:
        if dry_run:
            report: dict[str, Any] = sweep(app, app.now(), dry_run=True).to_dict()
        else:
            report = run_coro_as_sync(reminder_sweep(at=app.now().isoformat()))
    except DomainError as error:
        errors.print(f"[bold red]Fehler:[/] {error}", highlight=False)
        raise typer.Exit(1) from error
    for warning in report.get("warnings", []):
        errors.print(f"[yellow]Warnung:[/] {warning}", highlight=False)
    if json_output:
        print_json(report)
        return
    prefix = "Probelauf: " if dry_run else ""
    console.print(f"{prefix}geplant {report['planned']}, gesendet {report['sent']}, "
                  f"fehlgeschlagen {report['failed']}, unterdrückt {report['suppressed']}")
    for contact_id in report["contacts_without_channel"]:
        console.print(f"  [yellow]ohne Kanal:[/] {contact_id} (verbund contact show {contact_id})", highlight=False)
    for row in report.get("unreachable_members", []):
        names = ", ".join(o["name"] for o in row["organisations"])
        console.print(f"  [yellow]{row['network']}: {row['count']} Mitglieder ohne erreichbare Ansprechperson:[/] "
                      f"{names}", highlight=False)


def outbox(
    json_output: JsonOption = False,
    network: Annotated[str | None, typer.Option("--network", help="Nur dieser Verbund (Slug).")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Nur dieser Status.")] = None,
) -> None:
    """Postausgang: geplante, gesendete, fehlgeschlagene und unterdrückte Nachrichten."""
    from verbund.cli.main import _app
    from verbund.services.messaging.outbox import outbox_messages

    if status is not None and status not in OutboxStatus.__members__:
        errors.print(f"[bold red]Fehler:[/] --status: unbekannter Status '{status}' "
                     f"(erlaubt: {', '.join(OutboxStatus.__members__)})", highlight=False)
        raise typer.Exit(1)
    data = outbox_messages(_app(), network=network, status=status)
    if json_output:
        from verbund.services.readmodels.read_models import Outbox, as_json

        print_json(as_json(Outbox, data))
        return
    table = Table(title=f"Postausgang ({count(len(data['messages']), 'Eintrag', 'Einträge')})")
    for column in ("Verbund", "Stufe", "Art", "Ansprechperson", "Status", "Versuche", "gesendet", "Hinweis"):
        table.add_column(column)
    for row in data["messages"]:
        table.add_row(row["network"], row["stage"] or "", row["kind"], row["contact"], row["status"],
                      str(row["attempts"]), row["sent_at"] or "—", row["last_error"] or "")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("remind")(remind)
    app.command("outbox")(outbox)
