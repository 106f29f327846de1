"""What every ``verbund`` command shares: the consoles, error printing, the ``--json``, ``--at``
and ``--by`` options, the configured app, and the role check of ``--by``.

``--by`` names who acts. Actions that need a role (sign-off, waive, deadline extension) take
``RoleByOption`` and call ``decider`` / ``region_decider``: the person must be an existing, active
process owner of the network's region or Land, or the command refuses (exit code 1). Back-filled
history (``--at`` given) may name a person who is not a user. Other actions take ``ByOption``,
default ``system``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from verbund.domain.errors import DomainError
from verbund.domain.stages import SYSTEM_ACTOR

if TYPE_CHECKING:
    from verbund.services.app.bootstrap import App

# Piped or logged output (make run, CI) gets room for whole names instead of rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Ausgabe als JSON.")]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="Wann es wirklich geschah (16.12.2026 14:00 oder ISO 8601; "
                "ohne Zone: Europe/Berlin), für Nacherfassung."),
]
ByOption = Annotated[str, typer.Option("--by", help="E-Mail der handelnden Person (für den Verlauf; "
                                                    "Standard: system).")]
RoleByOption = Annotated[str, typer.Option(
    "--by", help="E-Mail einer Prozessverantwortlichen, die als Benutzer angelegt ist (Pflicht; bei "
                 "Nacherfassung mit --at genügt ein Name).")]


def build_app() -> App:
    """The app with the configured trigger (``cli.main._app``: one place builds it)."""
    from verbund.cli.main import _app

    return _app()


def at_option(value: str | None) -> dt.datetime | None:
    from verbund.services.app.clock import parse_instant

    return parse_instant(value, "--at") if value else None


def fail(error: Exception) -> typer.Exit:
    errors.print(f"[bold red]Fehler:[/] {error}", highlight=False)
    return typer.Exit(1)


@contextmanager
def domain_errors(report: Callable[[Exception], typer.Exit] | None = None) -> Iterator[None]:
    """Around a command's work: a refused action (``DomainError``) prints its German line and exits 1.

    ``report`` prints it another way (the directory names the field)."""
    try:
        yield
    except DomainError as error:
        raise (report or fail)(error) from error


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _backfill(by: str, at: dt.datetime | None) -> str | None:
    """A back-filled event names whoever did it then; only that it names someone is checked."""
    from verbund.domain.errors import InvalidInput

    if at is None:
        return None
    if not by.strip() or by.strip() == SYSTEM_ACTOR:
        raise InvalidInput("--by: wer hat es getan? (Name oder E-Mail)")
    return by.strip()


def decider(app: App, by: str, network: str, at: dt.datetime | None = None) -> str:
    """``--by`` of a network action that needs a process owner (sign-off, waive, extension)."""
    from verbund.services.access.actors import decider_for_network

    return _backfill(by, at) or decider_for_network(app, by, network)


def region_decider(app: App, by: str, region: str, at: dt.datetime | None = None) -> str:
    """``--by`` of a region action that needs a process owner (create a network, move a school)."""
    from verbund.services.access.actors import decider_for_region

    return _backfill(by, at) or decider_for_region(app, by, region)
