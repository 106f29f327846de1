"""Actors by reference: a partner's input names them by id, the name is looked up when shown, and
erasing them changes none of the rows that record what they did."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from cli_world import Cli

from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings

NET = "kv-auental-nord"
PASSWORD = "ein-langes-passwort-42"


def _school_board_contact(db: Path) -> tuple[str, str, str]:
    with sqlite3.connect(db) as connection:
        cid, name, organisation = connection.execute(
            "SELECT c.id, c.name, o.name FROM contact c JOIN organisation o ON o.id = c.organisation_id "
            "JOIN membership m ON m.organisation_id = o.id JOIN network n ON n.id = m.network_id "
            "WHERE o.kind = 'school_board' AND n.slug = ? ORDER BY c.name", (NET,)).fetchone()
    return str(uuid.UUID(cid)), name, organisation


def _rows_naming(db: Path, reference: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row whose person reference is ``reference``, read with sqlite3 (no verbund code)."""
    found = {}
    with sqlite3.connect(db) as connection:
        for table, column in (("auditevent", "actor"), ("analysisentry", "recorded_by"),
                              ("contactevent", "actor")):
            found[table] = connection.execute(
                f"SELECT * FROM {table} WHERE {column}_ref = ? ORDER BY id", (reference,)).fetchall()
    return found


def test_a_partners_input_refers_to_them_by_id_and_erasure_changes_none_of_those_rows(
    cli: Cli, tmp_path: Path
) -> None:
    from verbund.services.inputs.links import LinkScope
    from verbund.services.inputs.partners import channel_id, submit_analysis, switch_channel
    from verbund.services.readmodels.network_page import network_page

    db = tmp_path / "verbund.db"
    contact_id, name, organisation = _school_board_contact(db)
    app = bootstrap(Settings())
    add_user(app, email="po@example.org", role="process_owner", password=PASSWORD, region="sn-muldenland")
    app.engine.dispose()
    cli.ok("stage", "advance", NET, "analysis")
    app = bootstrap(Settings())
    scope = LinkScope(uuid.UUID(contact_id), NET, "analysis", "analysis", dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert submit_analysis(app, scope, {"conditions": ("Schulweg über die B 93", False, "")}) == 1
    with sqlite3.connect(db) as connection:
        channel = connection.execute("SELECT channels FROM contact WHERE id = ?", (uuid.UUID(contact_id).hex,)
                                     ).fetchone()[0]
    switch_channel(app, scope, channel_id(json.loads(channel)[0]), on=False)
    page = network_page(app, NET)
    app.engine.dispose()
    reference = f"contact:{contact_id}"
    before = _rows_naming(db, reference)
    assert before["analysisentry"] and before["auditevent"] and before["contactevent"]
    with sqlite3.connect(db) as connection:  # the name is stored once: in the contact's own row
        hits = connection.execute("SELECT count(*) FROM auditevent WHERE actor LIKE ?", (f"%{name}%",)).fetchone()
        assert hits == (0,)
    assert {e["by"] for e in page["analysis"] if e["organisation"] == organisation} == {name}
    shown = cli.ok("stage", "show", NET, "analysis", "--json")
    assert [e["actor"] for e in shown["events"] if e["entity"] == "analysis_entry"] == [name]

    cli.ok("privacy", "forget", "--contact", contact_id, "--reason", "Antrag vom 02.09.2019", "--by", "po@example.org")
    assert _rows_naming(db, reference) == before  # erasure changed the contact row, not these
    erased = f"eine Ansprechperson von {organisation}, gelöscht am 02.09.2019"
    shown = cli.ok("stage", "show", NET, "analysis", "--json")
    assert [e["actor"] for e in shown["events"] if e["entity"] == "analysis_entry"] == [erased]
    contact = cli.ok("contact", "show", contact_id, "--json")
    assert {e["actor"] for e in contact["events"] if e["action"] == "edited"} == {erased}


def test_forget_replaces_the_name_in_free_text_however_it_is_spelled(cli: Cli, tmp_path: Path) -> None:
    from verbund.services.inputs.links import LinkScope
    from verbund.services.inputs.partners import submit_analysis

    db = tmp_path / "verbund.db"
    contact_id, name, organisation = _school_board_contact(db)
    *first, last = name.split()
    spellings = [f"{last}, {' '.join(first)}", f"Dr. {name}", "  ".join(name.upper().split()),
                 f"{name} ({organisation})", f"frau {name.lower()}"]
    app = bootstrap(Settings())
    add_user(app, email="po@example.org", role="process_owner", password=PASSWORD, region="sn-muldenland")
    app.engine.dispose()
    cli.ok("stage", "advance", NET, "analysis")
    app = bootstrap(Settings())
    scope = LinkScope(uuid.UUID(contact_id), NET, "analysis", "analysis", dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    text = "Ansprechbar: " + "; ".join(spellings) + f"; nicht {first[0]} allein."
    submit_analysis(app, scope, {"actors": (text, False, "")})
    app.engine.dispose()
    out = tmp_path / "auskunft.json"
    cli.ok("privacy", "export", "--contact", contact_id, "-o", str(out))
    places = json.loads(out.read_text(encoding="utf-8"))["places"]
    assert any(p["table"] == "analysisentry" and p["column"] == "text" and not p["uncertain"] for p in places)
    cli.ok("privacy", "forget", "--contact", contact_id, "--reason", f"Antrag von {last}, {first[0]}", "--by",
           "po@example.org")
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT text FROM analysisentry WHERE category = 'actors' AND text LIKE "
                                    "'Ansprechbar:%'").fetchone()[0]
        reasons = [r[0] for r in connection.execute("SELECT reason FROM auditevent WHERE action = 'erased'")]
    kept = f" ({organisation})"
    assert stored == "Ansprechbar: " + "; ".join(["[gelöscht]", "Dr. [gelöscht]", "[gelöscht]",
                                                  f"[gelöscht]{kept}", "frau [gelöscht]"]) + \
        f"; nicht {first[0]} allein."
    assert reasons == ["Antrag von [gelöscht]"]
