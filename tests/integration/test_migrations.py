"""Alembic migrations: an empty database upgrades to head, and head matches the tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect
from sqlmodel import SQLModel

import verbund.domain.tables  # noqa: F401
from verbund.services.app.db import (
    alembic_config,
    code_heads,
    current_revision,
    make_engine,
    migrate,
    migrate_if_behind,
    stored_revisions,
)


def test_an_empty_database_upgrades_to_head(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert current_revision(engine) is None
    migrate(engine)
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        assert set(MigrationContext.configure(connection).get_current_heads()) == heads
    tables = set(inspect(engine).get_table_names())
    assert {"region", "network", "organisation", "contact", "membership", "stagerun", "auditevent",
            "analysisentry", "potential", "goal", "goalpotential", "consultation", "attendance",
            "protocol", "protocolobjection", "recommendation"} <= tables


def test_migrating_twice_is_harmless(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.db'}")
    migrate(engine)
    migrate(engine)
    assert current_revision(engine) is not None


def test_the_migrations_create_exactly_what_the_models_declare(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'diff.db'}")
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_the_heads_read_from_the_migration_files_are_alembics_heads(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'heads.db'}")
    assert code_heads() == set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def test_the_heads_of_branches_and_a_merge_are_read_from_their_files(tmp_path: Path) -> None:
    files = {"a.py": 'revision: str = "a"\ndown_revision: str | None = None\n',
             "b.py": "revision = 'b'  # branch one\ndown_revision = 'a'\n",
             "c.py": 'revision = "c"\ndown_revision = "a"\n',
             "m.py": '"""Revision ID: m\nRevises: b, c"""\nrevision = "m"\ndown_revision = (\n    "b",\n    "c",\n)\n',
             "d.py": 'revision = "d"\ndown_revision = "a"\n', "__init__.py": ""}
    for name, source in files.items():
        (tmp_path / name).write_text(source)
    assert code_heads(tmp_path) == {"m", "d"}


def test_a_database_at_head_is_checked_with_one_query_and_one_behind_is_migrated(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    script = ScriptDirectory.from_config(alembic_config(engine))
    (head,) = script.get_heads()
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    migrate(engine, previous)
    assert stored_revisions(engine) == {previous}
    assert migrate_if_behind(engine) is True
    assert stored_revisions(engine) == {head}
    assert migrate_if_behind(engine) is False
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    migrate_if_behind(engine)
    assert statements == ["BEGIN", "SELECT version_num FROM alembic_version"]  # no write lock (not IMMEDIATE)


PROBE = """
import sys
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings
bootstrap(Settings(database_url=sys.argv[1]))
print("alembic" in sys.modules)
"""


def test_starting_on_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    migrate(make_engine(url))
    probe = subprocess.run([sys.executable, "-c", PROBE, url], capture_output=True, text=True, timeout=600, check=False)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["False"]
    empty = subprocess.run([sys.executable, "-c", PROBE, f"sqlite:///{tmp_path / 'new.db'}"], capture_output=True,
                           text=True, timeout=600, check=False)
    assert empty.stdout.split() == ["True"]  # a new database is migrated (by Alembic)
