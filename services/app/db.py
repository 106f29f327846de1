"""The domain database: engine creation and Alembic migrations. Nothing connects at import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and foreign keys."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    event.listen(engine, "before_cursor_execute", refuse_writes)
    return engine


READ_ONLY = "verbund_read_only"  # execution option of read-only units of work (``UnitOfWork(read_only=True)``)


def _sqlite_begin_immediate(connection: Any) -> None:
    """SQLite has no row locks: every transaction takes the write lock when it begins, so a
    read-then-write (load a stage run, check, move it) can never act on a stale read. PostgreSQL
    locks the rows instead (``SELECT … FOR UPDATE`` in ``services.app.lookup``).

    Read-only units of work (dashboard pages, session checks) begin a deferred transaction: in WAL
    mode it reads one consistent snapshot without the write lock, so readers neither wait for
    each other nor for a writer (SQLite's busy handler sleeps in steps of up to 100 ms)."""
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER"})


class ReadOnlyViolation(RuntimeError):
    """A read-only unit of work tried to write (a bug in the use case: it must ask ``uow(write=True)``)."""


def refuse_writes(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    """Refuse a write statement on a read-only unit of work's connection (it would take the write
    lock mid-transaction on SQLite, and be rolled back anyway)."""
    if connection.get_execution_options().get(READ_ONLY, False):
        verb = statement.lstrip()[:6].split(None, 1)[0].upper() if statement.strip() else ""
        if verb in _WRITES:
            raise ReadOnlyViolation(f"read-only unit of work cannot write: {verb} …")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (SQLAlchemy's documented recipe)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Upgrade the database to ``revision`` (creates it when empty).

    ``heads``: features that grow in parallel add their tables on their own branch off the
    initial revision; a merge revision joins them when convenient.
    """
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not the code's (workers and servers never
    migrate; ``verbund init`` does, once per upgrade)."""
    from alembic.script import ScriptDirectory

    from verbund.domain.errors import DomainError

    expected = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        found = set(MigrationContext.configure(connection).get_current_heads())
    if found != expected:
        have = ", ".join(sorted(found)) or "leer"
        raise DomainError(
            f"Die Datenbank {engine.url.render_as_string(hide_password=True)} hat den Schemastand {have}, "
            f"dieser Code erwartet {', '.join(sorted(expected))}: zuerst 'verbund init' ausführen."
        )

