"""``verbund privacy export|forget|purge``: a person's data shown, exported, erased; retention (DSGVO).

The operator uses these commands; process owners do the same for the contacts of their regions in
the dashboard. What is stored, for how long and why: ``docs/privacy.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from verbund.cli.common import JsonOption, build_app, console, domain_errors, errors, print_json
from verbund.domain.errors import DomainError
from verbund.domain.formatting import count

privacy_app = typer.Typer(help="Datenschutz (DSGVO): Auskunft und Export, Löschung, Aufbewahrungsfristen.",
                          no_args_is_help=True)

ContactOption = Annotated[str | None, typer.Option("--contact", help="Kennung der Ansprechperson.")]
EmailOption = Annotated[str | None, typer.Option("--email", help="E-Mail-Adresse (Ansprechperson oder Benutzer).")]
UserOption = Annotated[str | None, typer.Option("--user", help="E-Mail-Adresse eines Dashboard-Benutzers.")]


def _fail(error: Exception) -> typer.Exit:
    errors.print(f"[bold red]Fehler:[/] {escape(str(error))}", highlight=False)
    return typer.Exit(1)


@privacy_app.command("export")
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="Zieldatei (JSON, mit --text eine Textdatei).")],
    contact: ContactOption = None,
    email: EmailOption = None,
    user: UserOption = None,
    text: Annotated[bool, typer.Option("--text", help="Lesbare deutsche Zusammenfassung statt JSON.")] = False,
) -> None:
    """Alles, was über eine Person gespeichert ist, in eine Datei (Art. 15, 20 DSGVO)."""
    from verbund.services.privacy import build_export, write_export

    try:
        document = build_export(build_app(), contact=contact, email=email, user=user)
        write_export(document, output, text=text)
    except (DomainError, OSError) as error:
        raise _fail(error) from error
    console.print(f"Auskunft geschrieben: {output} ({len(document['places'])} Fundstellen, "
                  f"{count(len(document['messages']), 'Nachricht', 'Nachrichten')})", highlight=False)


@privacy_app.command("forget")
def forget(
    reason: Annotated[str, typer.Option("--reason", help="Anlass, z. B. 'Antrag vom 03.02.2020' (ohne Namen).")],
    by: Annotated[str, typer.Option("--by", help="E-Mail des handelnden Benutzers (muss angelegt und aktiv sein).")],
    contact: ContactOption = None,
    user: UserOption = None,
    json_output: JsonOption = False,
) -> None:
    """Eine Ansprechperson oder einen Benutzer löschen (Art. 17 DSGVO); der Verlauf bleibt, ohne Namen."""
    from verbund.services.privacy import forget as erase

    with domain_errors(_fail):
        result = erase(build_app(), contact=contact, user=user, reason=reason, by=by)
    if json_output:
        print_json(result.to_dict())
        return
    kept = "; " + count(len(result.kept_protocols), "genehmigtes Protokoll behält seinen",
                        "genehmigte Protokolle behalten ihren") + " Text" if result.kept_protocols else ""
    console.print(f"Gelöscht: {result.id} ({result.replaced} Textstellen ersetzt, {result.files_deleted} "
                  f"Postfach-Dateien entfernt, {result.suppressed} wartende Nachrichten unterdrückt{kept})",
                  highlight=False)


@privacy_app.command("purge")
def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Nur zählen, nichts löschen.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Aufbewahrungsfristen anwenden: Nachrichtentexte und Postfach-Kopien nach VERBUND_RETENTION_DAYS (90)
    Tagen leeren (Schlüssel und Zählungen bleiben), abgelaufene Sitzungen löschen, lange inaktive
    Ansprechpersonen zur Entscheidung auflisten (VERBUND_INACTIVE_DAYS, 730)."""
    from verbund.services.privacy import purge as run_purge

    with domain_errors(_fail):
        report = run_purge(build_app(), dry_run=dry_run).to_dict()
    if json_output:
        print_json(report)
        return
    prefix = "Probelauf: " if dry_run else ""
    console.print(f"{prefix}Stichtag {report['cutoff'][:10]}: {report['contexts_cleared']} Nachrichteninhalte "
                  f"geleert, {report['mailbox_files_deleted']} Postfach-Dateien, {report['sessions_deleted']} "
                  f"Sitzungen, {report['invitations_deleted']} Einladungen gelöscht", highlight=False)
    for contact in report["inactive_contacts"]:
        console.print(f"  lange inaktiv: {contact['id']} ({contact['organisation']}, seit "
                      f"{contact['inactive_since'][:10]}) — löschen: verbund privacy forget --contact …",
                      highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(privacy_app, name="privacy")
