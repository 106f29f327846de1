"""Privacy on the demo's data: the export finds every place a person appears, erasure leaves no trace.

The demo runs once for the module (real stage flows on the session's Prefect harness). Its protocol
of one network is drafted naming a partner (so an approved, frozen text names them); after the
demo the partner switches a channel off and names a deputy through the partner door. Independent
checks read the SQLite file and the mailbox folder directly.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from verbund.flows.runtime import use_app
from verbund.flows.trigger import EmbeddedTrigger
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.settings import Settings

pytestmark = pytest.mark.slow
BEFORE = (dt.date(2019, 10, 14), dt.date(2019, 11, 29))  # the erasure happens on 2019-12-02
OFFICER = "datenschutz@lasub-muldenland.example.org"


@dataclass
class World:
    app: App
    db: Path
    mailbox: Path
    contact_id: str
    name: str
    email: str
    channel: str
    organisation: str


def _pick(db: Path) -> tuple[str, str, str, str, str]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT c.id, c.name, c.email, c.channels, o.name FROM contact c JOIN organisation o "
            "ON o.id = c.organisation_id WHERE o.kind = 'youth_welfare' AND c.name IN "
            "(SELECT name FROM contact GROUP BY name HAVING count(*) = 1) ORDER BY c.name").fetchall()
    contact_id, name, email, channels, organisation = rows[0]
    return contact_id, name, email, json.loads(channels)[0], organisation


@pytest.fixture(scope="module")
def world(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    import verbund.cli.demo as demo
    from verbund.services.access.users import add_user
    from verbund.services.inputs.protocol import draft_protocol

    folder = tmp_path_factory.mktemp("privacy")
    db = folder / "verbund.db"
    app = bootstrap(Settings(database_url=f"sqlite:///{db}"),
                    clock=ManualClock(dt.datetime(2019, 9, 2, 8, tzinfo=BERLIN)), trigger=EmbeddedTrigger())
    use_app(app)
    picked: dict[str, str] = {}
    original = demo._circulate

    def circulate_naming_the_partner(app: App, network: str, at: dt.datetime) -> None:
        if not picked:
            contact_id, name, _email, _channel, organisation = _pick(db)
            picked.update(id=contact_id, name=name, organisation=organisation)
            draft_protocol(app, network, body=f"Protokoll {network}. Anwesend u. a. {name} ({organisation}).\n"
                                              "1. Ziele bestätigt.", by=demo.COORDINATOR, at=at)
        original(app, network, at)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "_circulate", circulate_naming_the_partner)
        try:
            result = demo.run_demo(app)
            assert result.ok, result.failures
            add_user(app, email=OFFICER, role="process_owner", password="ein-langes-passwort-42",
                     name="Datenschutz LaSuB", region="sn-muldenland")
            contact_id, name, email, channel, organisation = _pick(db)
            assert contact_id == picked["id"]
            _partner_acts(app, contact_id, channel)
            yield World(app, db, db.parent / "postfach", contact_id, name, email, channel, organisation)
        finally:
            use_app(None)
            app.engine.dispose()


def _partner_acts(app: App, contact_id: str, channel: str) -> None:
    """Through the partner door: one channel switched off, a deputy named (both audited by name)."""
    import uuid

    from sqlmodel import select

    from verbund.domain.models import Contact, Membership, Network
    from verbund.services.inputs.links import LinkScope
    from verbund.services.inputs.partners import channel_id, name_deputy, switch_channel

    with app.uow() as uow:
        contact = uow.session.get(Contact, uuid.UUID(contact_id))
        assert contact is not None
        network = uow.session.exec(select(Network.slug).join(Membership, Membership.network_id == Network.id)  # type: ignore[arg-type]
                                   .where(Membership.organisation_id == contact.organisation_id)).first()
    assert network is not None
    scope = LinkScope(uuid.UUID(contact_id), network, "analysis", "analysis",
                      dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    switch_channel(app, scope, channel_id(channel), on=False)
    name_deputy(app, scope, "Erika Vertretung", "erika.vertretung@example.org")


def _needles(w: World) -> list[str]:
    prefix = base64.urlsafe_b64encode(str(__import__("uuid").UUID(w.contact_id)).encode()).rstrip(b"=").decode()
    return [w.name, json.dumps(w.name)[1:-1], w.email, w.channel, prefix]


def _scan_database(db: Path, needles: list[str]) -> set[tuple[str, str, str]]:
    """(table, column, rowid) of every cell containing a needle, read with sqlite3 (no verbund code)."""
    found = set()
    with sqlite3.connect(db) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in connection.execute(f"PRAGMA table_info({table})")]
            for row in connection.execute(f"SELECT rowid, * FROM {table}"):
                for column, value in zip(columns, row[1:], strict=True):
                    if isinstance(value, str) and any(n.casefold() in value.casefold() for n in needles):
                        found.add((table, column, str(row[0])))
    return found


def _rowid(db: Path, table: str, key: dict[str, str]) -> str:
    with sqlite3.connect(db) as connection:
        where = " AND ".join(f"{k} = ?" for k in key)
        values = [v.replace("-", "") if len(v) == 36 else v for v in key.values()]
        return str(connection.execute(f"SELECT rowid FROM {table} WHERE {where}", values).fetchone()[0])


def _mailbox_hits(root: Path, needles: list[str]) -> set[str]:
    return {str(p.relative_to(root)) for p in root.glob("*/*.json")
            if any(n.casefold() in p.read_text(encoding="utf-8").casefold() for n in needles)}


def test_the_export_finds_every_place_the_person_appears(world: World, tmp_path: Path) -> None:
    import verbund.cli.main as main

    target = tmp_path / "auskunft.json"
    result = CliRunner().invoke(main.app, ["privacy", "export", "--contact", world.contact_id, "-o", str(target)],
                                env={"VERBUND_DATABASE_URL": f"sqlite:///{world.db}"})
    assert result.exit_code == 0, result.output
    document = json.loads(target.read_text(encoding="utf-8"))
    places = {(p["table"], p["column"], _rowid(world.db, p["table"], p["key"]))
              for p in document["places"] if p["via"] != ["id"] and not p["uncertain"]}
    assert places == _scan_database(world.db, _needles(world))
    tables = {table for table, _c, _r in places}
    assert {"contact", "outboxitem", "channeloptout", "protocol"} <= tables
    by_reference = {p["table"] for p in document["places"] if p["column"].endswith("_ref")}
    assert {"contactevent", "auditevent"} <= by_reference  # what they did: by reference, not by name
    assert document["audit"] and {e["actor"] for e in document["audit"]} == {world.name}
    assert [p["table"] for p in document["kept_protocols"]] == ["protocol"]
    mailbox = {m["file"] for m in document["mailbox"]["messages"]} | set(document["mailbox"]["naming"])
    assert mailbox == _mailbox_hits(world.mailbox, _needles(world)) and mailbox
    assert document["messages"] and all(m["status"] for m in document["messages"])
    assert any(m["body"] and world.name in m["body"] for m in document["messages"])
    text = json.dumps(document, ensure_ascii=False)
    assert "?t=" + _needles(world)[-1] not in text  # link tokens masked
    assert document["channel_opt_outs"][0]["channel"].startswith("local://")


def test_forgetting_leaves_no_trace_but_the_frozen_protocol_and_past_reports_stay(world: World) -> None:
    from verbund.services.privacy import build_export, forget
    from verbund.services.report import build_report, render

    assert isinstance(world.app.clock, ManualClock)
    world.app.clock.set(dt.datetime(2019, 12, 2, 9, tzinfo=BERLIN))
    before = {day: {fmt: render(build_report(world.app, day), fmt) for fmt in ("md", "csv")} for day in BEFORE}
    result = forget(world.app, contact=world.contact_id, reason=f"Antrag von {world.name} vom 02.12.2019",
                    by=OFFICER)
    assert result.vacuumed and result.files_deleted > 0 and len(result.kept_protocols) == 1
    assert _scan_database(world.db, _needles(world)) == {("protocol", "body", _rowid(
        world.db, "protocol", {"id": result.kept_protocols[0]}))}
    raw = b"".join(p.read_bytes() for p in world.db.parent.glob("verbund.db*"))
    escaped = json.dumps(world.name)[1:-1]
    for needle in (world.email, world.channel, _needles(world)[-1], *([escaped] if escaped != world.name else [])):
        assert needle.encode() not in raw, needle
    assert raw.count(world.name.encode()) == 1  # the frozen protocol text, once
    assert _mailbox_hits(world.mailbox, _needles(world)) == set()
    after = {day: {fmt: render(build_report(world.app, day), fmt) for fmt in ("md", "csv")} for day in BEFORE}
    assert after == before
    export = build_export(world.app, contact=world.contact_id)
    assert export["contact"]["name"] == "[gelöscht]" and not export["contact"]["active"]
    assert export["erasures"] and export["erasures"][0]["actor"] == OFFICER
    assert world.name not in json.dumps(export["erasures"], ensure_ascii=False)
    assert [p["key"]["id"] for p in export["kept_protocols"]] == result.kept_protocols


def test_a_purge_clears_old_message_contents_but_keeps_keys_and_counts(world: World) -> None:
    from sqlmodel import select

    from verbund.domain.outbox import OutboxItem
    from verbund.services.messaging.outbox import outbox_messages, sweep
    from verbund.services.privacy import purge

    assert isinstance(world.app.clock, ManualClock)
    world.app.clock.set(dt.datetime(2020, 3, 2, 9, tzinfo=BERLIN))  # 90 days after the demo's last messages
    listed = outbox_messages(world.app)["messages"]
    files = list(world.mailbox.glob("*/*.json"))
    dry = purge(world.app, dry_run=True)
    assert dry.contexts_cleared > 0 and dry.mailbox_files_deleted == len(files)
    assert list(world.mailbox.glob("*/*.json")) == files  # a dry run deletes nothing
    done = purge(world.app)
    assert (done.contexts_cleared, done.mailbox_files_deleted) == (dry.contexts_cleared, dry.mailbox_files_deleted)
    assert list(world.mailbox.glob("*/*.json")) == []
    with world.app.uow() as uow:
        contexts = uow.session.exec(select(OutboxItem.context, OutboxItem.status)).all()
    assert all(context == {} for context, status in contexts if status == "sent")
    assert outbox_messages(world.app)["messages"] == listed  # keys, status, counts unchanged
    sweep(world.app, world.app.now())
    again = {m["key"]: m for m in outbox_messages(world.app)["messages"]}
    assert all(again[m["key"]] == m for m in listed)  # nothing already sent is sent again
    assert purge(world.app).contexts_cleared == 0
