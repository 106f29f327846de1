"""Flows run in-process against the session's Prefect test harness and a fresh domain database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from verbund.flows.runtime import use_app
from verbund.flows.trigger import EmbeddedTrigger
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import ManualClock
from verbund.services.app.settings import Settings


@pytest.fixture
def flow_app(prefect_api: str, database_url: str, clock: ManualClock) -> Iterator[App]:
    built = bootstrap(Settings(database_url=database_url), clock=clock, trigger=EmbeddedTrigger())
    use_app(built)
    yield built
    use_app(None)
    built.engine.dispose()
