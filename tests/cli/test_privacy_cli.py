"""``verbund privacy`` on the sample region (no Prefect): refusals in German, a user's erasure, --text."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from cli_world import Cli

from verbund.services.access.users import add_user, login
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings

NET = "kv-auental-nord"
PASSWORD = "ein-langes-passwort-42"


def _db(tmp_path: Path) -> Path:
    return tmp_path / "verbund.db"


def _contact(db: Path) -> tuple[str, str, str]:
    with sqlite3.connect(db) as connection:
        cid, name, email = connection.execute(
            "SELECT c.id, c.name, c.email FROM contact c JOIN organisation o ON o.id = c.organisation_id "
            "WHERE o.kind = 'school_board' ORDER BY c.name").fetchone()
    return f"{cid[:8]}-{cid[8:12]}-{cid[12:16]}-{cid[16:20]}-{cid[20:]}", name, email


def test_bad_requests_are_refused_in_german_and_change_nothing(cli: Cli, tmp_path: Path) -> None:
    contact, name, _email = _contact(_db(tmp_path))
    out = tmp_path / "a.json"
    assert "genau eine Angabe" in cli.fails("privacy", "export", "-o", str(out))
    assert "Ansprechperson" in cli.fails("privacy", "export", "--contact", "gibt-es-nicht", "-o", str(out))
    refused = cli.fails("privacy", "forget", "--contact", contact, "--reason", "Antrag", "--by", "po@example.org")
    assert "--by: 'po@example.org' ist kein aktiver Benutzer" in refused
    app = bootstrap(Settings())
    add_user(app, email="po@example.org", role="process_owner", password=PASSWORD, region="sn-muldenland")
    app.engine.dispose()
    assert "--reason: fehlt" in cli.fails("privacy", "forget", "--contact", contact, "--reason", " ", "--by",
                                           "po@example.org")
    cli.ok("privacy", "export", "--email", _contact(_db(tmp_path))[2], "-o", str(out), "--text")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("Auskunft über gespeicherte personenbezogene Daten") and name in text


def test_an_erased_user_cannot_log_in_and_the_history_names_nobody(cli: Cli, tmp_path: Path) -> None:
    app = bootstrap(Settings())
    add_user(app, email="po@example.org", role="process_owner", password=PASSWORD, region="sn-muldenland")
    add_user(app, email="anna.alt@example.org", role="process_owner", password=PASSWORD, name="Anna Alt",
             region="sn-muldenland")
    app.engine.dispose()
    cli.ok("stage", "advance", NET, "analysis")
    cli.ok("stage", "waive", NET, "analysis", "--reason", "auf Papier", "--by", "anna.alt@example.org")
    assert "niemand löscht sich selbst" in cli.fails(
        "privacy", "forget", "--user", "anna.alt@example.org", "--reason", "Ausgeschieden", "--by",
        "anna.alt@example.org")
    out = tmp_path / "anna.json"
    cli.ok("privacy", "export", "--user", "anna.alt@example.org", "-o", str(out))
    before = json.loads(out.read_text(encoding="utf-8"))
    assert "password_hash" not in before["user"] and before["audit"]
    done = cli.ok("privacy", "forget", "--user", "anna.alt@example.org", "--reason", "Ausgeschieden", "--by",
                  "po@example.org", "--json")
    assert done["kind"] == "user" and done["vacuumed"]
    assert done["replaced"] == 0  # the history names her by reference: no free text had to change
    app = bootstrap(Settings())
    assert login(app, "anna.alt@example.org", PASSWORD) is None
    app.engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("verbund.db*"))
    assert b"anna.alt@example.org" not in raw and b"Anna Alt" not in raw
    shown = cli.ok("stage", "show", NET, "analysis", "--json")
    assert shown["state"] == "waived"
    assert shown["events"][-1]["actor"] == "ein Benutzer (Prozessverantwortliche), gelöscht am 02.09.2019"
