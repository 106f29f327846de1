"""The domain database: engine creation and Alembic migrations. Nothing connects at import.

Alembic is imported only when a migration runs: every command starts with ``migrate_if_behind``,
which reads the stored revision with one query and compares it with the heads of the migration
files (read from their ``revision``/``down_revision`` lines, see ``code_heads``); importing and
running Alembic on every start cost a read-only command like ``verbund status`` about half its time.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from alembic.config import Config

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
    elif parsed.get_backend_name() == "postgresql":
        event.listen(engine, "connect", _postgresql_settings)
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


def serialize(session: Any, name: str) -> None:
    """Let one transaction at a time past this point for ``name`` (until it ends), on every backend.

    SQLite: a write transaction holds the database's write lock from its start, so nothing to do.
    PostgreSQL: a transaction-level advisory lock keyed by ``name`` (read-then-write steps over many
    rows, such as planning and claiming the outbox, where row locks cannot cover rows a concurrent
    transaction is about to insert). Released at commit or rollback; a killed process's lock goes
    with its connection."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%(name)s))",
                                             {"name": f"verbund:{name}"})


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


def _postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    """No JIT compilation: the planner compiles a query whose estimated cost passes ``jit_above_cost``
    (the overview's coverage count, a correlated count per school) to machine code first, which
    took ≈ 10 ms of a 30 ms query; the application's queries are short and run once (issue 20).
    Committed, so a later rollback does not undo it."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SET jit = off")
    finally:
        cursor.close()
    dbapi_connection.commit()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Upgrade the database to ``revision`` (creates it when empty).

    ``heads``: features that grow in parallel add their tables on their own branch off the
    initial revision; a merge revision joins them when convenient.
    """
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


# ``revision: str = "0003"``, ``down_revision = ("a", "b")`` (a merge; the tuple may span lines)
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=[ \t]*(\([^)]*\)|[^\n]*)", re.MULTILINE)


@functools.cache
def code_heads(folder: Path = MIGRATIONS / "versions") -> frozenset[str]:
    """The head revisions of the migration files, without Alembic: every ``revision`` that no file
    names as its ``down_revision`` (a string, ``None`` or a tuple for a merge). A test checks this
    against Alembic's own ``ScriptDirectory.get_heads()``."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in folder.glob("*.py"):
        found = {name: _literal(value) for name, value in _ASSIGNMENT.findall(path.read_text(encoding="utf-8"))}
        if "revision" not in found:
            continue
        revisions.add(found["revision"])
        down = found.get("down_revision")
        parents.update((down,) if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)


def _literal(source: str) -> Any:
    """The value of a right-hand side such as ``"0003"  # comment`` or ``("a", "b")``."""
    statement = ast.parse(f"value = {source}").body[0]
    assert isinstance(statement, ast.Assign)
    return ast.literal_eval(statement.value)


def stored_revisions(engine: Engine) -> frozenset[str]:
    """The revisions recorded in the database's ``alembic_version`` table (empty: none, or no table)."""
    try:
        with engine.connect() as connection:
            connection.execution_options(**{READ_ONLY: True})  # SQLite: BEGIN, not BEGIN IMMEDIATE
            return frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except exc.OperationalError:  # SQLite: no such table
        return frozenset()
    except exc.ProgrammingError:  # PostgreSQL: undefined table
        return frozenset()


def migrate_if_behind(engine: Engine) -> bool:
    """Run the migrations unless the database already stands at the code's heads; True if they ran."""
    if stored_revisions(engine) == code_heads():
        return False
    migrate(engine)
    return True


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

