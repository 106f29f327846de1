"""On PostgreSQL, an erased contact's name and address are gone from the database's files afterwards.

``forget`` vacuums the tables it touched (outside a transaction, index entries too), so the dead row
versions that still held the old values are removed and their pages compacted. The check reads the
database's own files (``base/<oid>/``, after a CHECKPOINT) as the machine's root: skipped, with the
reason, when PostgreSQL is unreachable or its files cannot be read. Not covered: the WAL
(``pg_wal``) and base backups, which keep the old values until they are recycled or expire
(docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region

NET = "kv-auental-nord"
PO = "po@example.org"
START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)


def _files(app: App) -> list[Path]:
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))  # shared buffers written to the files
        folder = connection.execute(text("SHOW data_directory")).scalar_one()
        oid = connection.execute(text("SELECT oid FROM pg_database WHERE datname = current_database()")).scalar_one()
    base = Path(folder) / "base" / str(oid)
    try:
        return [p for p in base.iterdir() if p.is_file()]
    except OSError as error:
        pytest.skip(f"PostgreSQL's files are not readable here ({error}); run the test as root on the server")


def _found(app: App, needles: list[str]) -> set[str]:
    raw = b"".join(p.read_bytes() for p in _files(app))
    return {n for n in needles if n.encode() in raw}


def _contact(app: App) -> tuple[str, str, str]:
    with app.engine.connect() as connection:
        row = connection.execute(text(
            "SELECT c.id, c.name, c.email FROM contact c JOIN membership m ON m.organisation_id = c.organisation_id "
            "JOIN network n ON n.id = m.network_id WHERE n.slug = :net AND c.email IS NOT NULL "
            "AND c.name IN (SELECT name FROM contact GROUP BY name HAVING count(*) = 1) ORDER BY c.name"),
            {"net": NET}).first()
    assert row is not None
    return str(row[0]), row[1], row[2]


def test_after_forget_the_erased_values_are_not_in_the_table_files(pg_database_url: str) -> None:
    from tests_support_stages import open_stage

    from verbund.services.inputs.links import LinkScope
    from verbund.services.inputs.partners import submit_analysis
    from verbund.services.privacy import forget

    app = bootstrap(Settings(database_url=pg_database_url), clock=ManualClock(START), trigger=RecordingTrigger())
    try:
        build_sample_region(app, at=START)
        add_user(app, email=PO, role="process_owner", password="ein-langes-passwort-42", region="sn-muldenland")
        open_stage(app, NET, "analysis", START)
        contact_id, name, email = _contact(app)
        *first, last = name.split()
        scope = LinkScope(uuid.UUID(contact_id), NET, "analysis", "analysis", dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
        submit_analysis(app, scope, {"actors": (f"Erreichbar: {last}, {' '.join(first)} <{email}>", False, "")})
        needles = [name, email, f"{last}, {' '.join(first)}"]
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))  # the planner's statistics sample names and addresses too
            sampled = connection.execute(text("SELECT count(*) FROM pg_stats WHERE tablename = 'contact' AND "
                                              "array_to_string(histogram_bounds, '|') LIKE :n"),
                                         {"n": f"%{name}%"}).scalar_one()
        assert _found(app, needles) == set(needles)  # the scan sees them while they are stored
        assert sampled == 1  # the name is one of the statistics' histogram bounds
        result = forget(app, contact=contact_id, reason="Antrag", by=PO)
        assert result.vacuumed and result.replaced >= 1
        leftover = _found(app, needles)
        assert leftover == set()
    finally:
        app.engine.dispose()


def test_compact_removes_what_a_plain_vacuum_leaves_in_a_pages_free_space(pg_database_url: str) -> None:
    """The case that makes ``compact`` rewrite the tables: the erased row is the lowest on a full page
    and its new version goes to another page; a plain VACUUM frees the old version's space but leaves
    its bytes there (no live row is moved over them)."""
    from verbund.services.privacy.forget import compact

    app = bootstrap(Settings(database_url=pg_database_url), clock=ManualClock(START), trigger=RecordingTrigger())
    try:
        with app.engine.begin() as connection:
            org = uuid.uuid4()
            connection.execute(text("INSERT INTO organisation (id, source, source_id, name, kind, school_types, "
                                    "special_needs, in_scope, import_notes) VALUES (:id, 'test', 'o', 'Kita', "
                                    "'daycare', '[]', '[]', true, '[]')"), {"id": org})
            connection.execute(text(
                "INSERT INTO contact (id, organisation_id, name, email, function, channels, active) "
                "SELECT gen_random_uuid(), :org, 'Person-' || lpad(g::text, 4, '0') || '-Ende', NULL, "
                "repeat('x', 200), '[]', true FROM generate_series(1, 300) g"), {"org": org})
            target = connection.execute(text(
                "SELECT name FROM contact WHERE (ctid::text::point)[0] = 0 ORDER BY ctid DESC LIMIT 1")).scalar_one()
            connection.execute(text(  # a new version that cannot fit on the full page (1,280 bytes, inline)
                "UPDATE contact SET name = '[gelöscht]', function = (SELECT string_agg(md5(g::text), '') "
                "FROM generate_series(1, 40) g) WHERE name = :name"), {"name": target})
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (INDEX_CLEANUP ON) contact"))
        assert _found(app, [target]) == {target}, "a plain VACUUM left no trace here: the premise changed"
        assert compact(app, ["contact"])
        assert _found(app, [target]) == set()
    finally:
        app.engine.dispose()


def test_while_an_old_snapshot_sees_the_erased_row_compact_waits_and_says_so(
    pg_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction of the same database that began before the erasure may still see the old row
    version, so VACUUM FULL must keep it: ``compact`` rewrites again until it is gone, and reports
    ``False`` when that does not happen within VERBUND_VACUUM_WAIT; once the snapshot ends, it cleans."""
    from verbund.services.privacy import forget
    from verbund.services.privacy.forget import compact

    monkeypatch.setenv("VERBUND_VACUUM_WAIT", "2")
    app = bootstrap(Settings(database_url=pg_database_url), clock=ManualClock(START), trigger=RecordingTrigger())
    try:
        build_sample_region(app, at=START)
        add_user(app, email=PO, role="process_owner", password="ein-langes-passwort-42", region="sn-muldenland")
        contact_id, name, email = _contact(app)
        reader = app.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        reader.begin()
        assert reader.execute(text("SELECT count(*) FROM region")).scalar_one() > 0  # the snapshot is taken
        try:
            result = forget(app, contact=contact_id, reason="Antrag", by=PO)
            assert not result.vacuumed
            assert _found(app, [name, email]) == {name, email}  # still visible to the reader: kept
        finally:
            reader.rollback()
            reader.close()
        assert compact(app, ["contact", "contactevent", "channeloptout", "outboxitem", "auditevent"])
        assert _found(app, [name, email]) == set()
    finally:
        app.engine.dispose()
