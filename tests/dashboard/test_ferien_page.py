"""The dashboard warns where the Schulferien of a date it shows are not known, and names its data
sources and licences on "Über verbund" (issue 16)."""

from __future__ import annotations

import datetime as dt
import warnings

from dashboard_world import PASSWORD, login

with warnings.catch_warnings():  # starlette 1.x asks for httpx2 at import; the client works with httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from verbund.dashboard import create_app
from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.demo.sample import build_sample_region
from verbund.services.stages.lifecycle import reconcile_stage

MINISTRY = "ministerium@example.org"


def _client(app: App, clock: ManualClock, start: dt.datetime) -> TestClient:
    clock.set(start)
    build_sample_region(app, at=start)
    reconcile_stage(app, "kv-auental-nord", "analysis", start)
    add_user(app, email=MINISTRY, role="ministry", password=PASSWORD)
    return TestClient(create_app(app), base_url="http://testserver")


def test_the_overview_warns_once_when_the_ferien_of_a_shown_date_are_not_known(app: App, clock: ManualClock) -> None:
    with _client(app, clock, dt.datetime(2031, 3, 3, 9, tzinfo=BERLIN)) as client:
        login(client, MINISTRY)
        html = client.get("/uebersicht").text
    assert html.count("data-ferien-warnung") == 1
    assert "Schulferien SN für 2031 nicht bekannt" in html and "verbund ferien import" in html


def test_no_warning_within_the_known_range(app: App, clock: ManualClock) -> None:
    with _client(app, clock, dt.datetime(2026, 11, 2, 9, tzinfo=BERLIN)) as client:
        login(client, MINISTRY)
        html = client.get("/uebersicht").text
    assert "data-ferien-warnung" not in html


def test_ueber_verbund_names_version_sources_licences_and_the_odbl_attribution(app: App, clock: ManualClock) -> None:
    with _client(app, clock, dt.datetime(2026, 11, 2, 9, tzinfo=BERLIN)) as client:
        assert client.get("/ueber", follow_redirects=False).status_code in (302, 303)
        login(client, MINISTRY)
        page = client.get("/ueber")
    assert page.status_code == 200
    assert ("Enthält Informationen der Open Holiday API, die hier unter der Open Database License (ODbL) "
            "zur Verfügung gestellt werden.") in page.text
    assert "verbund 0." in page.text and "08.10.2018–03.01.2029" in page.text
