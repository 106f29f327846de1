"""``verbund partner add|list|show|edit|close|import`` and ``verbund contact
add|list|show|edit|deactivate|activate|import``: the directory of partner organisations and contacts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from verbund.cli.common import JsonOption, console, domain_errors, errors, print_json
from verbund.cli.common import at_option as _at
from verbund.cli.common import build_app as _app
from verbund.domain.errors import FieldError

partner_app = typer.Typer(help="Partnerorganisationen im Verzeichnis: anlegen, anzeigen, ändern, schließen, "
                               "aus Datei übernehmen.", no_args_is_help=True)
contact_app = typer.Typer(help="Ansprechpersonen: anlegen, anzeigen, ändern, deaktivieren, aus Datei übernehmen.",
                          no_args_is_help=True)

ByOption = Annotated[str, typer.Option("--by", help="Wer handelt (für das Protokoll).")]
AtOption = Annotated[str | None, typer.Option(
    "--at", help="Wann es wirklich geschah (16.12.2026 14:00 oder ISO 8601; "
                "ohne Zone: Europe/Berlin), für Nacherfassung.")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Alles prüfen und zählen, nichts speichern.")]
MappingOption = Annotated[Path, typer.Option("--mapping", help="TOML-Datei mit der Spaltenzuordnung.")]
FileArgument = Annotated[Path, typer.Argument(help="CSV- oder XLSX-Datei.")]
NetworkOption = Annotated[list[str] | None, typer.Option(
    "--network", help="Verbund (Slug), dem der Partner angehört; mehrfach möglich.")]
KindOption = Annotated[str | None, typer.Option(
    "--kind", help="Partnerart aus [partner_kinds] der Vorlage (Schlüssel oder Bezeichnung).")]


def _fail(error: Exception) -> typer.Exit:
    where = f" (Feld {error.field})" if isinstance(error, FieldError) else ""
    text = error.reason if isinstance(error, FieldError) else str(error)
    errors.print(f"[bold red]Fehler{where}:[/] {escape(text)}", highlight=False)
    return typer.Exit(1)


# --- partners ----------------------------------------------------------------------------------

@partner_app.command("add")
def partner_add(
    name: Annotated[str, typer.Option("--name", help="Name der Organisation.")],
    kind: Annotated[str, typer.Option("--kind", help="Partnerart aus [partner_kinds] der Vorlage.")],
    region: Annotated[str | None, typer.Option("--region", help="Region (Slug).")] = None,
    land: Annotated[str | None, typer.Option("--land", help="Landesweiter Partner: Länderkürzel (z. B. SN), "
                                                            "statt --region.")] = None,
    network: NetworkOption = None,
    key: Annotated[str | None, typer.Option("--key", help="Schlüssel (Slug); Standard: aus dem Namen.")] = None,
    address: Annotated[str | None, typer.Option("--address", help="Anschrift.")] = None,
    ags: Annotated[str | None, typer.Option("--ags", help="Amtlicher Gemeindeschlüssel (8 Ziffern).")] = None,
    by: ByOption = "system", at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Eine Partnerorganisation anlegen (Art, Region oder Land, Verbünde)."""
    from verbund.services.directory.partner_directory import PartnerInput, add_partner

    spec = PartnerInput(name=name, kind=kind, key=key, region=region, land=land, networks=network or [],
                        address=address, ags=ags)
    with domain_errors(_fail):
        created = add_partner(_app(), spec, by=by, at=_at(at))
    print_json({"key": created}) if json_output else console.print(f"Partner angelegt: {created}")


@partner_app.command("list")
def partner_list(
    region: Annotated[str | None, typer.Option("--region", help="Nur diese Region.")] = None,
    network: Annotated[str | None, typer.Option(
        "--network", help="Alle Mitgliedsorganisationen dieses Verbunds (auch Schulen).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Nur diese Partnerart.")] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Auch geschlossene Partner.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Partnerorganisationen mit Art, Region, Verbünden und Zahl aktiver Ansprechpersonen."""
    from verbund.services.directory.partner_directory import list_partners

    with domain_errors(_fail):
        rows = list_partners(_app(), region=region, network=network, kind=kind, include_closed=all_rows)
    if json_output:
        print_json({"partners": rows})
        return
    table = Table(title="Partnerorganisationen")
    for column in ("Schlüssel", "Name", "Art", "Region/Land", "Verbünde", "Ansprechpersonen"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["key"], row["name"], row["kind"], row["region"] or row["land"] or "—",
                      ", ".join(row["networks"]), str(row["active_contacts"]))
    console.print(table)


@partner_app.command("show")
def partner_show(key: Annotated[str, typer.Argument(help="Schlüssel, oder QUELLE:KENNUNG einer Schule.")],
                 json_output: JsonOption = False) -> None:
    """Eine Partnerorganisation mit ihren Ansprechpersonen."""
    from verbund.services.directory.partner_directory import show_partner

    with domain_errors(_fail):
        data = show_partner(_app(), key)
    if json_output:
        print_json(data)
        return
    console.print(f"[bold]{data['name']}[/] ({data['key']}), {data['kind']}, "
                  f"{data['region'] or 'landesweit ' + (data['land'] or '')}; Verbünde: "
                  f"{', '.join(data['networks']) or '—'}; Anschrift: {data['address'] or '—'}; "
                  f"AGS: {data['ags'] or '—'}")
    for contact in data["contacts"]:
        state = "" if contact["active"] else " [dim](deaktiviert)[/]"
        console.print(f"  {contact['id'][:8]} {contact['name']} · {contact['function'] or '—'} · "
                      f"{contact['email'] or '—'} · {contact['channels']} weitere Kanäle{state}")


@partner_app.command("edit")
def partner_edit(
    key: Annotated[str, typer.Argument(help="Schlüssel des Partners.")],
    name: Annotated[str | None, typer.Option("--name", help="Neuer Name.")] = None,
    kind: KindOption = None,
    region: Annotated[str | None, typer.Option("--region", help="Neue Region (Slug).")] = None,
    land: Annotated[str | None, typer.Option("--land", help="Landesweit in diesem Land.")] = None,
    network: NetworkOption = None,
    leave: Annotated[list[str] | None, typer.Option("--leave-network", help="Verbund verlassen.")] = None,
    address: Annotated[str | None, typer.Option("--address", help="Anschrift.")] = None,
    ags: Annotated[str | None, typer.Option("--ags", help="Amtlicher Gemeindeschlüssel.")] = None,
    by: ByOption = "system", at: AtOption = None,
) -> None:
    """Angaben eines Partners ändern, Verbünden beitreten (--network) oder sie verlassen."""
    from verbund.services.directory.partner_directory import PartnerInput, edit_partner

    spec = PartnerInput(name=name, kind=kind, key=key, region=region, land=land, networks=network or [],
                        address=address, ags=ags)
    with domain_errors(_fail):
        changed = edit_partner(_app(), spec, leave=leave or [], by=by, at=_at(at))
    console.print(f"Partner {key}: {'geändert' if changed else 'unverändert'}.")


@partner_app.command("close")
def partner_close(key: Annotated[str, typer.Argument(help="Schlüssel des Partners.")],
                  by: ByOption = "system", at: AtOption = None) -> None:
    """Einen Partner schließen: seine Mitgliedschaften enden, nichts wird gelöscht."""
    from verbund.services.directory.partner_directory import close_partner

    with domain_errors(_fail):
        close_partner(_app(), key, by=by, at=_at(at))
    console.print(f"Partner {key} geschlossen.")


def _import(kind: str, file: Path, mapping: Path, dry_run: bool, json_output: bool, by: str) -> None:
    from verbund.services.importers.directory import import_contacts, import_partners

    run = import_partners if kind == "partner" else import_contacts
    with domain_errors(_fail):
        report = run(_app(), file, mapping, dry_run=dry_run, by=by)
    if json_output:
        print_json(report.to_dict())
    else:
        prefix = "Probelauf (nichts gespeichert): " if report.dry_run else ""
        console.print(f"{prefix}{report.created} neu, {report.updated} geändert, {report.unchanged} unverändert, "
                      f"{len(report.rejected)} abgelehnt.")
        if report.rejected:
            table = Table(title="Abgelehnt")
            for column in ("Wo", "Feld", "Grund"):
                table.add_column(column)
            for problem in report.rejected:
                table.add_row(problem.where, problem.field, problem.reason)
            console.print(table)
        for note in report.notes:
            console.print(f"Hinweis: {note.where}, {note.field}: {note.reason}", highlight=False, markup=False)
    if report.rejected:
        errors.print(f"[bold red]Fehler:[/] {len(report.rejected)} fehlerhafte Zeilen in {file.name}; "
                     "nichts wurde gespeichert.", highlight=False)
        raise typer.Exit(1)


@partner_app.command("import")
def partner_import(file: FileArgument, mapping: MappingOption, dry_run: DryRunOption = False,
                   json_output: JsonOption = False, by: ByOption = "system") -> None:
    """Partner aus CSV/XLSX übernehmen, ganz oder gar nicht (Spalten: docs/cli.md)."""
    _import("partner", file, mapping, dry_run, json_output, by)


# --- contacts ----------------------------------------------------------------------------------

ChannelOption = Annotated[list[str] | None, typer.Option(
    "--channel", help="Weiterer Kanal als apprise-URL (Matrix, Teams, …); mehrfach möglich. E-Mail: --email.")]


@contact_app.command("add")
def contact_add(
    organisation: Annotated[str, typer.Option("--organisation", help="Schlüssel des Partners oder QUELLE:KENNUNG.")],
    name: Annotated[str, typer.Option("--name", help="Name der Person.")],
    email: Annotated[str | None, typer.Option("--email", help="E-Mail-Adresse.")] = None,
    function: Annotated[str | None, typer.Option("--function", help="Funktion.")] = None,
    channel: ChannelOption = None,
    by: ByOption = "system", at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Eine Ansprechperson anlegen (aktiv ab jetzt oder ab --at)."""
    from verbund.services.directory.contacts import ContactInput, add_contact

    spec = ContactInput(organisation=organisation, name=name, email=email, function=function, channels=channel or [])
    with domain_errors(_fail):
        contact_id = add_contact(_app(), spec, by=by, at=_at(at))
    print_json({"id": contact_id}) if json_output else console.print(f"Ansprechperson angelegt: {contact_id}")


@contact_app.command("list")
def contact_list(
    organisation: Annotated[str | None, typer.Option("--organisation", help="Nur dieser Partner.")] = None,
    network: Annotated[str | None, typer.Option("--network", help="Nur Mitglieder dieses Verbunds.")] = None,
    all_rows: Annotated[bool, typer.Option("--all", help="Auch deaktivierte.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Ansprechpersonen mit Organisation, Funktion und E-Mail (Kanäle nur gezählt)."""
    from verbund.services.directory.contacts import list_contacts

    with domain_errors(_fail):
        rows = list_contacts(_app(), organisation=organisation, network=network, include_inactive=all_rows)
    if json_output:
        print_json({"contacts": rows})
        return
    table = Table(title="Ansprechpersonen")
    for column in ("Kennung", "Name", "Funktion", "Organisation", "E-Mail", "Kanäle", "aktiv"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"][:8], row["name"], row["function"] or "", row["organisation_name"],
                      row["email"] or "—", str(row["channels"]), "ja" if row["active"] else "nein")
    console.print(table)


@contact_app.command("show")
def contact_show(ref: Annotated[str, typer.Argument(help="Kennung (oder ihr Anfang) oder E-Mail.")],
                 json_output: JsonOption = False) -> None:
    """Eine Ansprechperson mit ihrem Verlauf (welche Felder wann geändert wurden)."""
    from verbund.services.directory.contacts import show_contact

    with domain_errors(_fail):
        data = show_contact(_app(), ref)
    if json_output:
        print_json(data)
        return
    console.print(f"[bold]{data['name']}[/] ({data['id']}), {data['function'] or '—'}, {data['organisation_name']}; "
                  f"E-Mail: {data['email'] or '—'}; Kanäle: {', '.join(data['channels']) or '—'}; "
                  f"{'aktiv' if data['active'] else 'deaktiviert'}")
    for event in data["events"]:
        console.print(f"  {event['at']} {event['actor']}: {event['action']} {', '.join(event['fields'])}")


@contact_app.command("edit")
def contact_edit(
    ref: Annotated[str, typer.Argument(help="Kennung (oder ihr Anfang) oder E-Mail.")],
    name: Annotated[str | None, typer.Option("--name", help="Neuer Name.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Neue E-Mail-Adresse ('' entfernt sie).")] = None,
    function: Annotated[str | None, typer.Option("--function", help="Neue Funktion.")] = None,
    organisation: Annotated[str | None, typer.Option("--organisation", help="Andere Organisation.")] = None,
    channel: ChannelOption = None,
    no_channels: Annotated[bool, typer.Option("--no-channels", help="Alle weiteren Kanäle entfernen.")] = False,
    by: ByOption = "system", at: AtOption = None,
) -> None:
    """Angaben einer aktiven Ansprechperson ändern; --channel ersetzt die weiteren Kanäle."""
    from verbund.services.directory.contacts import ContactInput, edit_contact

    channels = [] if no_channels else (channel or None)
    spec = ContactInput(organisation=organisation, name=name, email=email, function=function, channels=channels)
    with domain_errors(_fail):
        fields = edit_contact(_app(), ref, spec, by=by, at=_at(at))
    console.print(f"Geändert: {', '.join(fields)}" if fields else "Unverändert.")


@contact_app.command("deactivate")
def contact_deactivate(ref: Annotated[str, typer.Argument(help="Kennung (oder ihr Anfang) oder E-Mail.")],
                       by: ByOption = "system", at: AtOption = None) -> None:
    """Eine Ansprechperson deaktivieren (ab jetzt oder --at); sie bleibt im Verlauf."""
    from verbund.services.directory.contacts import set_active

    with domain_errors(_fail):
        name = set_active(_app(), ref, False, by=by, at=_at(at))
    console.print(f"{name} deaktiviert.")


@contact_app.command("activate")
def contact_activate(ref: Annotated[str, typer.Argument(help="Kennung (oder ihr Anfang) oder E-Mail.")],
                     by: ByOption = "system", at: AtOption = None) -> None:
    """Eine deaktivierte Ansprechperson wieder aktivieren."""
    from verbund.services.directory.contacts import set_active

    with domain_errors(_fail):
        name = set_active(_app(), ref, True, by=by, at=_at(at))
    console.print(f"{name} aktiviert.")


@contact_app.command("import")
def contact_import(file: FileArgument, mapping: MappingOption, dry_run: DryRunOption = False,
                   json_output: JsonOption = False, by: ByOption = "system") -> None:
    """Ansprechpersonen aus CSV/XLSX übernehmen, ganz oder gar nicht (Spalten: docs/cli.md)."""
    _import("contact", file, mapping, dry_run, json_output, by)


def register(app: typer.Typer) -> None:
    app.add_typer(partner_app, name="partner")
    app.add_typer(contact_app, name="contact")
