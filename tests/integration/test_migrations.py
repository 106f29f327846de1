"""Alembic migrations: an empty database upgrades to head, and head matches the tables."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import verbund.domain.tables  # noqa: F401
from verbund.services.app.db import alembic_config, current_revision, make_engine, migrate


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
