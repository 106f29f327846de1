"""Shared fixtures: a fresh domain database per test, one Prefect test harness per session, and the
demo's database built once per session and copied for each test that needs it."""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
# CI runs the suite on a busy 2-core machine: every Prefect server a test starts may take minutes.
os.environ.setdefault("VERBUND_PREFECT_START_TIMEOUT", "600")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")

from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings

import tests_support_snapshots  # isort: skip

tests_support_snapshots.install()  # before any test module imports build_sample_region

# Property tests never depend on the machine's speed: no per-example deadline (Hypothesis's default of
# 200 ms per example can pass on a quiet machine and fail beside CPU hogs) and no "too slow" health
# check; a test's own settings override single fields of this profile.
settings.register_profile("verbund", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("verbund")

PREFECT_START_TIMEOUT = 600
START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``sqlite_and_postgresql`` run once per backend: their ``database_url`` (and so
    ``app``) is a fresh SQLite file, then a fresh PostgreSQL database (``pg_database_url``: skipped
    with the reason when none is reachable)."""
    if metafunc.definition.get_closest_marker("sqlite_and_postgresql") and "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh SQLite file; PostgreSQL for the ``postgresql`` run of a test marked ``sqlite_and_postgresql``."""
    if getattr(request, "param", "sqlite") == "postgresql":
        url: str = request.getfixturevalue("pg_database_url")
        return url
    return f"sqlite:///{tmp_path / 'verbund.db'}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def app(database_url: str, clock: ManualClock) -> Iterator[App]:
    """The real service layer on a fresh SQLite file; triggers are recorded, not run."""
    built = bootstrap(Settings(database_url=database_url), clock=clock, trigger=RecordingTrigger())
    yield built
    built.engine.dispose()


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (skipped with the reason when none is reachable)."""
    import uuid

    from tests_support_pg import create_database, drop_database

    name = create_database(f"verbund_test_{uuid.uuid4().hex[:10]}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        drop_database(name)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One Prefect API server for the whole session, heartbeats off (DESIGN.md §10).

    Prefect's ``prefect_test_harness``, with two differences: the server's database is in memory,
    as in the embedded default (a SQLite file stalled the server's services for up to 60 s under
    load: docs/decisions.md §5), and it is verbund's owned server, which ends with the test process
    even when that is killed.
    """
    from prefect.context import _temporary_global_settings_context, get_settings_context
    from prefect.events.worker import EventsWorker
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_DATABASE_CONNECTION_URL,
        temporary_settings,
    )
    from prefect.utilities.asyncutils import run_coro_as_sync

    from verbund.cli.embedded import EPHEMERAL_DATABASE
    from verbund.flows.local_server import _owned_server_class, free_port

    prior = SubprocessASGIServer._instances.get(None)
    with temporary_settings({PREFECT_SERVER_DATABASE_CONNECTION_URL: EPHEMERAL_DATABASE}):
        server = _owned_server_class()(port=free_port())
        SubprocessASGIServer._instances[None] = server
        try:
            server.start(timeout=PREFECT_START_TIMEOUT)
            with (
                temporary_settings({PREFECT_API_URL: server.api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
                _temporary_global_settings_context(get_settings_context()),
            ):
                yield str(server.api_url)

                async def drain() -> None:  # stale events must not leak into a later harness
                    result = EventsWorker.drain_all()
                    if inspect.isawaitable(result):
                        await result

                with contextlib.suppress(Exception):
                    run_coro_as_sync(drain())
        finally:
            server.stop()
            if prior is not None:
                SubprocessASGIServer._instances[None] = prior
            else:
                SubprocessASGIServer._instances.pop(None, None)


@pytest.fixture(scope="session")
def demo_folder(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Saxon demo (`verbund demo`'s run_demo), run once per session in-process on the session's
    Prefect harness: ``verbund.db`` and the local mailbox ``postfach/`` beside it. Never write here:
    take a copy with ``demo_database``."""
    from rich.console import Console

    from verbund.cli.demo import run_demo
    from verbund.flows.runtime import use_app
    from verbund.flows.trigger import EmbeddedTrigger

    folder = tmp_path_factory.mktemp("demo-session")
    app = bootstrap(Settings(database_url=f"sqlite:///{folder / 'verbund.db'}"), trigger=EmbeddedTrigger())
    use_app(app)
    try:
        result = run_demo(app, console=Console(file=io.StringIO()))
        assert result.ok, result.failures
    finally:
        use_app(None)
        app.engine.dispose()
    return folder


@pytest.fixture
def demo_database(demo_folder: Path, tmp_path: Path) -> str:
    """A copy of the session's demo (database and mailbox) for one test; its SQLite URL."""
    target = tmp_path / "demo"
    shutil.copytree(demo_folder, target)
    return f"sqlite:///{target / 'verbund.db'}"


DEMO_GROUP = "demo"
SHARED_FIXTURE = re.compile(r"scope=[\"'](module|class|package)[\"']")


def _modules_naming(root: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The test modules that use the session's demo (they name ``demo_folder`` or ``demo_database``),
    and those with a fixture of module, class or package scope."""
    demo, shared = set(), set()
    for path in Path(__file__).parent.rglob("test_*.py"):
        if "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "demo_folder" in text or "demo_database" in text:
            demo.add(path.relative_to(root).as_posix())
        elif SHARED_FIXTURE.search(text):
            shared.add(path.relative_to(root).as_posix())
    return frozenset(demo), frozenset(shared)


@pytest.hookimpl(optionalhook=True)  # also without xdist (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``make test`` runs on pytest-xdist workers (``-n``, ``--dist loadgroup``), each with its own
    session fixtures. Every test of a module that uses the demo runs on one worker, so the demo (the
    costliest session fixture) is built once per run, not once per worker; the tests of a module with
    a module- or class-scoped fixture stay together too (else each worker would build it); every other
    test is a work unit of its own. (xdist's own loadgroup marks its groups by rewriting node ids,
    which pytest 9.2 no longer honours: pytest-xdist issue #1386.)"""
    if config.getoption("dist", None) != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    demo_modules, shared_modules = _modules_naming(config.rootpath)

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):  # an xdist_group mark, where xdist can still set it
                return nodeid.split("@")[-1]
            module = nodeid.split("::", 1)[0]
            if module in demo_modules:
                return DEMO_GROUP
            return module if module in shared_modules else nodeid

    return GroupScheduling(config, log)


def pytest_configure(config: pytest.Config) -> None:
    """Test modules share one namespace (rootdir import mode): two of one basename would stop the
    collection of the whole suite with pytest's 'import file mismatch'. Name them at once instead."""
    seen: dict[str, Path] = {}
    for path in sorted(Path(__file__).parent.rglob("test_*.py")):
        if "vendor" in path.parts:
            continue
        if path.name in seen:
            raise pytest.UsageError(f"two test modules named {path.name}: {seen[path.name]} and {path}; rename one")
        seen[path.name] = path
