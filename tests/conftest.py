"""Shared fixtures: a fresh domain database per test, one Prefect test harness per session."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
# CI runs the suite on a busy 2-core machine: every Prefect server a test starts may take minutes.
os.environ.setdefault("VERBUND_PREFECT_START_TIMEOUT", "600")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")

from verbund.services.bootstrap import App, bootstrap
from verbund.services.clock import BERLIN, ManualClock
from verbund.services.ports import RecordingTrigger
from verbund.services.settings import Settings

PREFECT_START_TIMEOUT = 600
START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
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
    """One Prefect test harness for the whole session, heartbeats off (DESIGN.md §10)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with (
        prefect_test_harness(server_startup_timeout=PREFECT_START_TIMEOUT),
        temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        yield str(PREFECT_API_URL.value())
