"""``verbund announce``: a free-text message to all partners of a network or to partner kinds,
through the outbox (``services.messaging.announcements``); the next sweep sends it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from verbund.cli.common import (
    AtOption,
    ByOption,
    JsonOption,
    at_option,
    build_app,
    console,
    domain_errors,
    print_json,
)
from verbund.domain.errors import InvalidInput
from verbund.domain.stages import SYSTEM_ACTOR


def register(app: typer.Typer) -> None:
    app.command("announce")(announce)


def announce(
    network: Annotated[str, typer.Argument(help="Verbund (Slug).")],
    title: Annotated[str, typer.Option("--title", help="Betreff der Mitteilung.")],
    text: Annotated[str | None, typer.Option("--text", help="Der Text (oder --file).")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Datei mit dem Text (UTF-8).")] = None,
    kind: Annotated[list[str] | None, typer.Option(
        "--kind", help="Nur Partner dieser Art (z. B. school_board, public_school); mehrfach angeben. "
                       "Ohne: alle Partner des Verbunds.")] = None,
    by: ByOption = SYSTEM_ACTOR, at: AtOption = None, json_output: JsonOption = False,
) -> None:
    """Eine Mitteilung an alle Partner eines Verbunds (oder einer Partnerart) über den Postausgang senden.

    Sie geht mit dem nächsten Erinnerungslauf hinaus (verbund remind, täglich mit verbund serve):
    nur werktags 08:00–18:00, mit den übrigen Nachrichten des Tages zu einer zusammengefasst.
    """
    from verbund.services.messaging.announcements import announce as plan_announcement

    with domain_errors():
        if (text is None) == (file is None):
            raise InvalidInput("--text: genau eines von --text oder --file angeben")
        body = text if file is None else _read(file)
        result = plan_announcement(build_app(), network, title=title, text=body or "", kinds=kind or [], by=by,
                                   at=at_option(at))
    if json_output:
        print_json(result)
        return
    console.print(f"{network}: Mitteilung „{result['title']}“ an {result['recipients']} Ansprechpersonen geplant "
                  f"({result['planned']} neu, ab {result['send_after']}; versandt mit dem nächsten "
                  "Erinnerungslauf: verbund remind)", highlight=False)
    for name in result["without_channel"]:
        console.print(f"  [yellow]ohne Kanal:[/] {name}", highlight=False)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"--file: '{file}' nicht lesbar ({error.__class__.__name__})") from error
