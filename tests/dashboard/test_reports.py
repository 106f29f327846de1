"""The build-out report in the dashboard: the ministry and process owners (their regions) produce one
for a chosen date and download the latest; coordinators and anonymous visitors do not; no report
shows another region's networks to a process owner."""

from __future__ import annotations

from typing import Any

import pytest
from dashboard_world import World, login

from verbund.services.readmodels.report_files import report_folder


def _produce(client: Any, csrf: str, region: str, fmt: str = "md", as_of: str = "2019-09-30") -> Any:
    return client.post("/berichte", data={"csrf": csrf, "as_of": as_of, "format": fmt, "region": region},
                       follow_redirects=False)


def _network_names(world: World) -> dict[str, str]:
    return {slug: f"Verbund {slug}" for slug in (world.other, world.foreign)}


def test_the_ministry_produces_a_report_for_all_regions_and_the_header_links_the_latest(
    world: World, client: Any
) -> None:
    csrf = login(client, world.users["ministry"])
    page = client.get("/berichte")
    assert page.status_code == 200 and "Es gibt noch keinen Bericht" in page.text
    assert 'href="/berichte/neuester"' in page.text and 'value="alle"' in page.text
    made = _produce(client, csrf, "alle")
    assert made.status_code == 303 and "fehler=" not in made.headers["location"], made.headers["location"]
    assert (report_folder(world.app) / "stand-2019-09-30-alle.md").is_file()
    latest = client.get("/berichte/neuester", follow_redirects=False)
    assert latest.headers["location"] == "/berichte/stand-2019-09-30-alle.md"
    report = client.get(latest.headers["location"])
    assert report.status_code == 200 and report.headers["content-disposition"].startswith("attachment")
    assert "Stand des Aufbaus" in report.text and "30.09.2019" in report.text
    assert all(name in report.text for name in _network_names(world).values())
    _produce(client, csrf, "sn-muldenland", fmt="xlsx", as_of="2019-09-15")
    listing = client.get("/berichte").text
    assert 'id="latest-report" href="/berichte/stand-2019-09-15-sn-muldenland.xlsx"' in listing
    assert "stand-2019-09-30-alle.md" in listing


def test_a_process_owner_reports_on_their_region_only(world: World, client: Any) -> None:
    ministry = login(client, world.users["ministry"])
    _produce(client, ministry, "alle")
    _produce(client, ministry, "nw-bochum")
    client.cookies.clear()
    csrf = login(client, world.users["po_region"])
    page = client.get("/berichte").text
    assert 'value="sn-muldenland"' in page and 'value="alle"' not in page and 'value="sn-anderland"' not in page
    assert "stand-2019-09-30-alle.md" not in page and "nw-bochum" not in page
    for region in ("alle", "sn-anderland", "nw-bochum"):
        assert _produce(client, csrf, region).status_code == 403
    assert _produce(client, csrf, "sn-muldenland").status_code == 303
    report = client.get("/berichte/stand-2019-09-30-sn-muldenland.md")
    assert report.status_code == 200 and "Stand des Aufbaus" in report.text
    assert not any(name in report.text for name in _network_names(world).values())
    for other in ("stand-2019-09-30-alle.md", "stand-2019-09-30-nw-bochum.md"):
        assert client.get(f"/berichte/{other}").status_code == 404
    assert client.get("/berichte/neuester", follow_redirects=False).headers["location"].endswith("sn-muldenland.md")


def test_a_land_wide_process_owner_picks_a_region_of_the_land(world: World, client: Any) -> None:
    csrf = login(client, world.users["po_land"])
    assert _produce(client, csrf, "sn-anderland", fmt="csv").status_code == 303
    assert _produce(client, csrf, "nw-bochum").status_code == 403
    assert client.get("/berichte/stand-2019-09-30-sn-anderland.csv").status_code == 200


@pytest.mark.parametrize("role", ["coordinator", "coordinator_other"])
def test_coordinators_neither_see_nor_produce_reports(world: World, client: Any, role: str) -> None:
    csrf = login(client, world.users[role])
    assert "/berichte" not in client.get("/konto").text
    assert client.get("/berichte").status_code == 403
    assert _produce(client, csrf, world.own[0]).status_code == 403
    assert client.get("/berichte/neuester").status_code == 403
    assert not report_folder(world.app).exists() or list(report_folder(world.app).iterdir()) == []


def test_anonymous_visitors_are_sent_to_the_login(world: World, client: Any) -> None:
    for path in ("/berichte", "/berichte/neuester", "/berichte/stand-2019-09-30-alle.md"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.post("/berichte", data={"as_of": "2019-09-30"}, follow_redirects=False).status_code == 303


def test_bad_dates_formats_and_file_names_are_refused_in_german_and_write_nothing(world: World, client: Any) -> None:
    csrf = login(client, world.users["ministry"])
    for as_of, fmt in (("31.09.2019", "md"), ("2019-09-30", "docx")):
        location = _produce(client, csrf, "alle", fmt=fmt, as_of=as_of).headers["location"]
        assert "fehler=" in location
    assert "Stichtag" in client.get(_produce(client, csrf, "alle", as_of="gestern").headers["location"]).text
    assert _produce(client, "falsch", "alle").status_code == 400
    assert not report_folder(world.app).exists() or list(report_folder(world.app).iterdir()) == []
    for name in ("verbund.db", "..%2Fverbund.db", "stand-2019-09-30-alle.exe"):
        assert client.get(f"/berichte/{name}").status_code == 404
