"""The overview shows networks of different templates side by side, each with its own stages."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator

import pytest
from dashboard_world import PASSWORD, login

with warnings.catch_warnings():  # starlette 1.x asks for httpx2 at import; the client works with httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from verbund.dashboard import create_app
from verbund.domain.process import load_template
from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.demo.sample_templates import build_template_sample

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
MINISTRY = "ministerium@example.org"


@pytest.fixture
def mixed(app: App) -> Iterator[tuple[TestClient, list[str], list[str]]]:
    saxon = build_sample_region(app, at=START).networks
    nrw = build_template_sample(app, "nrw-bildungsnetzwerk", at=START).networks
    add_user(app, email=MINISTRY, role="ministry", password=PASSWORD)
    with TestClient(create_app(app), base_url="http://testserver") as client:
        login(client, MINISTRY)
        yield client, list(saxon), list(nrw)


def test_each_network_links_exactly_the_stages_of_its_own_template(
    mixed: tuple[TestClient, list[str], list[str]],
) -> None:
    client, saxon, nrw = mixed
    html = client.get("/uebersicht").text
    for networks, key in ((saxon, "sachsen-inklusion"), (nrw, "nrw-bildungsnetzwerk")):
        own = load_template(key).stage_names
        other = load_template("nrw-bildungsnetzwerk" if key == "sachsen-inklusion" else "sachsen-inklusion").stage_names
        for network in networks:
            for stage in own:
                assert f"/verbund/{network}/stufe/{stage}" in html, (network, stage)
            for stage in other:
                assert f"/verbund/{network}/stufe/{stage}" not in html, (network, stage)


def test_the_api_lists_every_network_with_its_template(mixed: tuple[TestClient, list[str], list[str]]) -> None:
    client, saxon, nrw = mixed
    data = client.get("/api/overview").json()
    text = str(data)
    for network in saxon + nrw:
        assert network in text
    assert "nrw-bildungsnetzwerk" in text and "sachsen-inklusion" in text
