"""Fixtures of the CLI tests: the sample region on a fresh SQLite file, ``VERBUND_NOW`` set, and
``verbund`` built with the inline reconcile trigger (``cli_world``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_world import NOW, Cli, cli_app

from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import parse_instant
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    database_url = f"sqlite:///{tmp_path / 'verbund.db'}"
    for key, value in {"VERBUND_DATABASE_URL": database_url, "VERBUND_NOW": NOW, "COLUMNS": "200"}.items():
        monkeypatch.setenv(key, value)
    app = bootstrap(Settings())
    build_sample_region(app, at=parse_instant(NOW))
    app.engine.dispose()
    import verbund.cli.main as main

    monkeypatch.setattr(main, "_app", lambda **_: cli_app())
    yield Cli(main.app, parse_instant(NOW))
