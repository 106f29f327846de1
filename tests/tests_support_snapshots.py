"""Fresh SQLite databases for tests, migrated and filled once per session and then copied (issue 14).

Two deterministic steps took about a quarter and a sixth of the suite's CPU: Alembic migrating each
test's new SQLite file through every revision, and ``build_sample_region`` filling it. ``install()``
(called by tests/conftest.py before any test module is imported) wraps both:

- ``bootstrap``'s ``migrate_if_behind``: a new SQLite file (no table at all) receives a copy of the
  database that the real migration produced once this session; PostgreSQL and a database with
  tables go through ``services.app.db.migrate_if_behind`` as before. ``services.app.db`` itself
  is untouched, so tests/integration/test_migrations.py and the schema-guard tests, which call its
  ``migrate`` and ``migrate_if_behind``, run Alembic.
- ``services.demo.sample.build_sample_region``: on an SQLite database that holds exactly what a fresh
  migration leaves (every table's row count equal), with an ``at`` and ``seed`` built before this
  session, receives a copy of that build's database and a copy of its result. Anything else builds
  for real (and a first build is kept for the next test).

``built_once(app, name, build)`` does the same for a test world of its own (the dashboard tests'
users, whose passwords are hashed at a deliberate cost): ``build(app)`` runs for real the first time
per name and ``app.now()``, and later fresh databases receive a copy of what it stored, the stage
triggers it recorded and a copy of its result with ``app`` set to the test's own.

The copies go through SQLite's backup API into a connection of the test's own engine, so the
engine and its pooled connections stay valid. Each process (each xdist worker) keeps its own files
in a temporary folder that is removed at exit. Subprocesses (``verbund`` started by a test) are not
affected: they migrate and build for real. Copies share row ids between the tests of a process, so
a process-wide cache keyed by ids must be kept per database (as the network pages' coverage memo
is, one per engine), or a test reads another test's entries.
"""

from __future__ import annotations

import atexit
import copy
import dataclasses
import datetime as dt
import functools
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine

_lock = threading.RLock()
_folder: Path | None = None
_template: Path | None = None
_template_counts: dict[str, int] | None = None
_samples: dict[tuple[dt.datetime, str, dt.timedelta | None, int], tuple[Path, Any]] = {}
_worlds: dict[tuple[str, dt.datetime, str], tuple[Path, Any, list[Any]] | None] = {}
T = TypeVar("T")


def _dir() -> Path:
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="verbund-test-snapshots-"))
        atexit.register(shutil.rmtree, _folder, True)
    return _folder


def _sqlite_file(engine: Engine) -> bool:
    database = engine.url.database
    return engine.dialect.name == "sqlite" and bool(database) and database != ":memory:" \
        and not str(database).startswith("file:")


def _counts_of(connection: sqlite3.Connection) -> dict[str, int]:
    names = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _with_raw(engine: Engine, use: Callable[[sqlite3.Connection], Any]) -> Any:
    raw = engine.raw_connection()
    try:
        return use(raw.driver_connection)  # type: ignore[arg-type]
    finally:
        raw.close()


def _restore(source: Path, engine: Engine) -> None:
    """Copy ``source`` into the database of ``engine`` (through one of its own connections)."""
    origin = sqlite3.connect(source)
    try:
        _with_raw(engine, lambda target: origin.backup(target))
    finally:
        origin.close()


def _keep(engine: Engine, target: Path) -> None:
    copy_to = sqlite3.connect(target)
    try:
        _with_raw(engine, lambda source: source.backup(copy_to))
    finally:
        copy_to.close()


def _migrated(real_migrate: Callable[..., None]) -> tuple[Path, dict[str, int]]:
    """The session's template: a new SQLite file migrated to heads by the real migration."""
    global _template, _template_counts
    with _lock:
        if _template is None:
            from verbund.services.app.db import make_engine

            path = _dir() / "migrated.db"
            engine = make_engine(f"sqlite:///{path}")
            try:
                real_migrate(engine)
            finally:
                engine.dispose()  # the last connection checkpoints the WAL into the file
            connection = sqlite3.connect(path)
            try:
                _template_counts = _counts_of(connection)
            finally:
                connection.close()
            _template = path
        assert _template_counts is not None
        return _template, _template_counts


def _fresh(app: Any) -> bool:
    """An SQLite file holding exactly what a fresh migration leaves."""
    if not _sqlite_file(app.engine):
        return False
    from verbund.services.app.db import migrate

    _, counts = _migrated(migrate)
    return bool(_with_raw(app.engine, _counts_of) == counts)


def built_once(app: Any, name: str, build: Callable[[Any], T]) -> T:
    """``build(app)`` (a dataclass result with an ``app`` field), run for real once per session per
    ``name`` and ``app.now()`` on a fresh database; after that a copy. Anything else runs ``build``."""
    from verbund.services.app.ports import RecordingTrigger

    recording = type(app.trigger) is RecordingTrigger
    if not recording or not _fresh(app):
        return build(app)
    now = app.now()
    key = (name, now, str(now.tzinfo))
    with _lock:
        if key not in _worlds:
            before = len(app.trigger.calls)
            result = build(app)
            if app.now() != now:  # the build moved the clock: not copied, always built
                _worlds[key] = None
                return result
            path = _dir() / f"world-{len(_worlds)}.db"
            _keep(app.engine, path)
            _worlds[key] = (path, copy.deepcopy(dataclasses.replace(result, app=None)),  # type: ignore[type-var]
                            list(app.trigger.calls[before:]))
            return result
        kept = _worlds[key]
    if kept is None:
        return build(app)
    path, result, calls = kept
    _restore(path, app.engine)
    app.trigger.calls.extend(calls)
    return dataclasses.replace(copy.deepcopy(result), app=app)  # type: ignore[no-any-return]


def install() -> None:
    from verbund.services.app import bootstrap, db
    from verbund.services.demo import sample

    real_migrate = db.migrate
    real_if_behind = bootstrap.migrate_if_behind
    real_build = sample.build_sample_region

    @functools.wraps(real_if_behind)
    def migrate_if_behind(engine: Engine) -> bool:
        if not _sqlite_file(engine) or _with_raw(
                engine, lambda c: c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]):
            return real_if_behind(engine)
        template, _ = _migrated(real_migrate)
        _restore(template, engine)
        return True

    @functools.wraps(real_build)
    def build_sample_region(app: Any, *, at: dt.datetime, seed: int = 2019) -> Any:
        engine = app.engine
        if not _sqlite_file(engine):
            return real_build(app, at=at, seed=seed)
        _, fresh = _migrated(real_migrate)
        if _with_raw(engine, _counts_of) != fresh:
            return real_build(app, at=at, seed=seed)
        key = (at, str(at.tzinfo), at.utcoffset(), seed)
        with _lock:
            kept = _samples.get(key)
            if kept is None:
                result = real_build(app, at=at, seed=seed)
                path = _dir() / f"sample-{len(_samples)}.db"
                _keep(engine, path)
                _samples[key] = (path, copy.deepcopy(result))
                return result
        _restore(kept[0], engine)
        return copy.deepcopy(kept[1])

    bootstrap.migrate_if_behind = migrate_if_behind  # type: ignore[assignment]
    sample.build_sample_region = build_sample_region
