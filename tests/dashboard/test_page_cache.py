"""The dashboard's cache of rendered pages by data version (issue 20): a write by another process
shows on the next request of the overview, a region page and a network page; unchanged pages come
from the cache; conditional GETs get 304 until the data changes; the outbox's marks raise the
versions; ``VERBUND_DASHBOARD_CACHE=0`` renders every time."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from dashboard_world import World, login
from sqlmodel import select
from support_cli import clean_env

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from verbund.dashboard import create_app
from verbund.domain.models import Membership, Network, Organisation
from verbund.services.access.page_view import stamps
from verbund.services.access.users import logout
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings
from verbund.services.directory.networks import rename_network
from verbund.services.forecast.cache import refresh_forecasts
from verbund.services.messaging.outbox import send_due
from verbund.services.messaging.reminders import plan
from verbund.services.readmodels.network_page import end_membership

VERBUND = str(Path(sys.executable).with_name("verbund"))


def _verbund(world: World, tmp_path: Path, *args: str) -> None:
    env = clean_env(VERBUND_DATABASE_URL=str(world.app.engine.url), PREFECT_HOME=str(tmp_path / "prefect-home"),
                    COLUMNS="200")
    done = subprocess.run([VERBUND, *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _pages(world: World) -> dict[str, str]:
    network = world.own[0]
    return {"overview": "/uebersicht", "overview_region": "/uebersicht?region=sn-muldenland",
            "region": "/region/sn-muldenland", "network": f"/verbund/{network}"}


@pytest.mark.slow
def test_a_rename_through_the_cli_in_another_process_shows_on_the_next_request_of_every_page_kind(
    world: World, client: TestClient, tmp_path: Path
) -> None:
    login(client, world.users["po_land"])
    pages = _pages(world)
    cache = client.app.state.page_cache  # type: ignore[attr-defined]
    for _ in range(2):  # the first overview also stores the day's forecasts (a background task): a change
        for path in pages.values():
            first = client.get(path)
            assert first.status_code == 200 and "Umbenannter Verbund" not in first.text
    hits = cache.hits
    again = {kind: client.get(path) for kind, path in pages.items()}
    assert cache.hits == hits + len(pages), "unchanged pages come from the cache"
    etags = {kind: response.headers["etag"] for kind, response in again.items()}

    _verbund(world, tmp_path, "network", "rename", world.own[0], "--name", "Umbenannter Verbund")

    for kind, path in pages.items():
        fresh = client.get(path, headers={"If-None-Match": etags[kind]})
        assert fresh.status_code == 200, (kind, fresh.status_code)
        assert "Umbenannter Verbund" in fresh.text, kind
        assert fresh.headers["etag"] != etags[kind]


@pytest.mark.slow
def test_a_deactivation_in_another_process_or_a_logout_ends_the_cached_pages_at_once(
    world: World, client: TestClient, tmp_path: Path
) -> None:
    """The session is checked on every request, a cache hit included: no page comes from the cache
    for a session that was ended or a user who was deactivated since the last request."""
    pages = _pages(world)
    login(client, world.users["po_land"])
    other = TestClient(create_app(world.app))
    login(other, world.users["po_region"])
    token = other.cookies["verbund_session"]
    cache = client.app.state.page_cache  # type: ignore[attr-defined]
    for reader in (client, other, client, other):
        for path in pages.values():
            assert reader.get(path, follow_redirects=False).status_code == 200
    assert cache.hits > 0, "the pages are cached"

    _verbund(world, tmp_path, "user", "deactivate", "--email", world.users["po_land"])
    logout(world.app, token)

    for reader in (client, other):
        for kind, path in pages.items():
            refused = reader.get(path, follow_redirects=False)
            assert refused.status_code == 303 and refused.headers["location"] == "/login", kind
    other.close()


def test_a_network_page_shows_a_change_of_its_regions_coverage_made_in_another_network(
    world: World, client: TestClient
) -> None:
    """The first screen of a network page reads region-wide facts (the exit check "every public school
    of the region in exactly one network"): a school leaving another network of the region is then
    unassigned, and the next request of this network's page says so."""
    refresh_forecasts(world.app)  # else the first view stores them in the background: a change
    login(client, world.users["po_land"])
    path = f"/verbund/{world.own[0]}"
    cache = client.app.state.page_cache  # type: ignore[attr-defined]
    assert "keinem Verbund zugeordnet" not in client.get(path).text
    hits = cache.hits
    assert "keinem Verbund zugeordnet" not in client.get(path).text and cache.hits == hits + 1
    with world.app.uow() as uow:
        school = uow.session.exec(select(Organisation.id).join(Membership).join(Network).where(
            Network.slug == world.own[1], Organisation.kind == "public_school")).first()
    assert school is not None

    end_membership(world.app, world.own[1], str(school), by="test")

    assert "1 von" in client.get(path).text.split("keinem Verbund zugeordnet")[0][-300:]


def test_conditional_requests_get_304_until_the_data_changes(world: World, client: TestClient) -> None:
    refresh_forecasts(world.app)  # else the first view stores them in the background: a change
    token = login(client, world.users["po_region"])
    network = world.own[0]
    page = client.get(f"/verbund/{network}")
    assert page.status_code == 200 and token in page.text  # the reader's own CSRF token, not a placeholder
    assert page.headers["cache-control"] == "private, no-cache"
    unchanged = client.get(f"/verbund/{network}", headers={"If-None-Match": page.headers["etag"]})
    assert unchanged.status_code == 304 and not unchanged.content
    rename_network(world.app, network, name="Neu benannt", by="system")  # a committed change of the network
    changed = client.get(f"/verbund/{network}", headers={"If-None-Match": page.headers["etag"]})
    assert changed.status_code == 200 and "Neu benannt" in changed.text


def test_two_readers_of_one_scope_share_a_page_but_each_gets_their_own_token(world: World) -> None:
    app = world.app
    refresh_forecasts(app)
    with TestClient(create_app(app)) as first, TestClient(create_app(app)) as second:
        web_first = first.app
        token_first = login(first, world.users["po_land"])
        second.app.state.page_cache = web_first.state.page_cache  # type: ignore[attr-defined]
        token_second = login(second, world.users["po_land"])
        path = f"/verbund/{world.own[0]}"
        one, two = first.get(path), second.get(path)
        assert token_first in one.text and token_second not in one.text
        assert token_second in two.text and token_first not in two.text
        assert web_first.state.page_cache.hits >= 1  # type: ignore[attr-defined]


def test_the_roles_share_a_network_pages_read_model_and_render_it_each_their_own_way(world: World) -> None:
    app = world.app
    refresh_forecasts(app)
    with TestClient(create_app(app)) as acting, TestClient(create_app(app)) as reading:
        reading.app.state.network_data = acting.app.state.network_data  # type: ignore[attr-defined]
        login(acting, world.users["po_land"])
        login(reading, world.users["ministry"])
        memo = acting.app.state.network_data  # type: ignore[attr-defined]
        path = f"/verbund/{world.own[0]}"
        po, ministry = acting.get(path).text, reading.get(path).text
        assert memo.misses == 1 and memo.hits == 1, "the read model is built once for both roles"
        assert "/aktion/mitglied-entfernen" in po and "/aktion/mitglied-entfernen" not in ministry
        rename_network(app, world.own[0], name="Geteilt und neu", by="system")
        assert "Geteilt und neu" in reading.get(path).text and memo.misses == 2


def test_marking_messages_sent_raises_the_network_and_region_versions(world: World) -> None:
    app = world.app
    plan(app, app.now())
    network = world.own[0]
    before = stamps(app, network=network), stamps(app, region="sn-muldenland")
    report = send_due(app, app.now())
    if report.sent == 0:
        pytest.skip("nothing due at the test clock's time")
    after = stamps(app, network=network), stamps(app, region="sn-muldenland")
    assert after[0] != before[0] and after[1] != before[1]


def test_with_the_cache_off_every_request_renders(world: World, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VERBUND_DASHBOARD_CACHE", "0")
    app = bootstrap(Settings(database_url=str(world.app.engine.url)), clock=world.app.clock)
    assert app.settings.dashboard_cache is False
    with TestClient(create_app(app)) as client:
        login(client, world.users["po_land"])
        for _ in range(3):
            assert client.get(f"/verbund/{world.own[0]}").status_code == 200
        cache = client.app.state.page_cache  # type: ignore[attr-defined]
        assert cache.hits == 0 and cache.misses == 0
    app.engine.dispose()
