"""Fixtures of the dashboard tests: the world of ``dashboard_world`` and a client."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from browser_support import launch
from dashboard_world import World, build_world
from tests_support_snapshots import built_once

with warnings.catch_warnings():  # starlette 1.x asks for httpx2 at import; the client works with httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from verbund.dashboard import create_app
from verbund.services.app.bootstrap import App


@pytest.fixture
def world(app: App) -> World:
    """``build_world`` on the test's fresh database (built once per session, then copied)."""
    return built_once(app, "dashboard", build_world)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.app), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright (the browser tests also carry ``browser_support.needs_chromium``)."""
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) ist nicht installiert")
    with playwright_api.sync_playwright() as pw:
        instance = launch(pw)
        try:
            yield instance
        finally:
            instance.close()
