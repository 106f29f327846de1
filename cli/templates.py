"""``verbund templates list|show|check``: the process templates (``domain/templates/*.toml``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from verbund.cli.common import JsonOption, console, domain_errors, fail, print_json
from verbund.domain.errors import DomainError
from verbund.domain.formatting import count

templates_app = typer.Typer(help="Prozessvorlagen anzeigen und prüfen.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(templates_app, name="templates")


def describe(key: str) -> dict[str, Any]:
    """Everything a template declares, as plain values."""
    from verbund.domain.criteria import REGISTRY
    from verbund.domain.process import load_template

    template = load_template(key)
    return {
        "key": template.key,
        "name": template.name,
        "state": template.state,
        "description": template.description,
        "fixed_order": template.fixed_order,
        "roles": template.roles,
        "partner_kinds": template.partner_kinds,
        "voters": template.voters,
        "sources": list(template.sources),
        "stages": [
            {
                "name": stage.name,
                "title": stage.title,
                "description": stage.description,
                "after": list(stage.after),
                "due_business_days": stage.due_business_days,
                "sign_off": stage.sign_off,
                "reminders_business_days": list(stage.reminders_business_days),
                "recurs_every_months": stage.recurs_every_months,
                "checks": [
                    {"check": spec.check, "params": spec.params, "description": REGISTRY[spec.check].description}
                    for spec in stage.checks
                ],
            }
            for stage in template.stages
        ],
    }


@templates_app.command("list")
def list_templates(json_output: JsonOption = False) -> None:
    """Alle Prozessvorlagen mit ihren Stufen."""
    from verbund.domain.process import all_templates

    with domain_errors():
        templates = all_templates()
    data = {
        "templates": [
            {"key": t.key, "name": t.name, "stages": t.stage_names, "state": t.state} for t in templates
        ]
    }
    if json_output:
        print_json(data)
        return
    table = Table(title="Prozessvorlagen")
    for column in ("Schlüssel", "Name", "Land", "Stufen"):
        table.add_column(column)
    for template in templates:
        stages = " → ".join(
            s.name + (" ↻" if s.recurring else "") for s in template.stages
        ) if template.fixed_order else ", ".join(s.name + (" ↻" if s.recurring else "") for s in template.stages)
        table.add_row(template.key, template.name, template.state, stages)
    console.print(table)
    console.print("↻ wiederkehrende Stufe; Details: [bold]verbund templates show SCHLÜSSEL[/]")


@templates_app.command("show")
def show(key: str, json_output: JsonOption = False) -> None:
    """Eine Prozessvorlage: Stufen, Reihenfolge, Fristen, Ausstiegskriterien, Rollen, Partnerarten."""
    with domain_errors():
        data = describe(key)
    if json_output:
        print_json(data)
        return
    console.print(f"[bold]{data['name']}[/] ({data['key']}), Land {data['state']}", highlight=False)
    if data["description"]:
        console.print(data["description"], highlight=False)
    order = "feste Reihenfolge" if data["fixed_order"] else "teils ohne feste Reihenfolge (siehe „nach“)"
    console.print(f"Stufen: {len(data['stages'])}, {order}")
    table = Table(title="Stufen")
    for column in ("Stufe", "Titel", "nach", "Frist (Werktage)", "Abnahme", "Wiederkehr", "Ausstiegskriterien"):
        table.add_column(column)
    for stage in data["stages"]:
        checks = "\n".join(
            f"{c['check']}" + (f" {json.dumps(c['params'], ensure_ascii=False)}" if c["params"] else "")
            for c in stage["checks"]
        )
        every = f"alle {stage['recurs_every_months']} Monate" if stage["recurs_every_months"] else "—"
        table.add_row(stage["name"], stage["title"], ", ".join(stage["after"]) or "—",
                      str(stage["due_business_days"]), "ja" if stage["sign_off"] else "nein", every, checks)
    console.print(table)
    console.print("Rollen: " + ", ".join(f"{k} ({v})" for k, v in data["roles"].items()), highlight=False)
    console.print(f"Stimmberechtigt bei Konsensbeschlüssen: {data['voters']}", highlight=False)
    console.print("Partnerarten: " + ", ".join(f"{k} ({v})" for k, v in data["partner_kinds"].items()),
                  highlight=False)
    if data["sources"]:
        console.print("Quellen: " + "; ".join(data["sources"]), highlight=False)


@templates_app.command("check")
def check(path: Path) -> None:
    """Eine Vorlagendatei prüfen (Fehler mit Datei, Zeile und Problem)."""
    from verbund.domain.process import load_template_file

    try:
        template = load_template_file(path)
    except (DomainError, OSError) as error:
        raise fail(error) from error
    console.print(f"{path}: gültig — {template.key}, {count(len(template.stages), 'Stufe', 'Stufen')}", highlight=False)
