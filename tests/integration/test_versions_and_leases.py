"""Data versions and schedule leases (issue 20) on SQLite and PostgreSQL: a committed change raises
its network's and region's counters and nothing else's, a rolled-back one raises none; of several
processes asking for one slot of a schedule, exactly one gets it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from verbund.domain.data_versions import DataVersion
from verbund.domain.models import Network
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.leases import take_slot
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region
from verbund.services.directory.networks import rename_network

pytestmark = pytest.mark.sqlite_and_postgresql  # database_url: SQLite, then PostgreSQL (tests/conftest.py)


@pytest.fixture
def world(database_url: str) -> Iterator[App]:
    app = bootstrap(Settings(database_url=database_url))
    build_sample_region(app, at=app.now())
    yield app
    app.engine.dispose()


def _versions(app: App) -> dict[tuple[str, object], int]:
    with app.uow() as uow:
        return {(row.kind, row.id): row.version for row in uow.session.exec(select(DataVersion)).scalars()}


def test_a_commit_raises_its_network_and_region_and_a_rollback_raises_nothing(world: App) -> None:
    with world.uow() as uow:
        one, other = uow.session.exec(select(Network).order_by(Network.slug)).scalars().all()[:2]
    before = _versions(world)
    rename_network(world, one.slug, name="Neuer Name", by="system")
    after = _versions(world)
    changed = {key for key in after if after[key] != before.get(key, 0)}
    assert changed == {("network", one.id), ("region", one.region_id)}
    with world.uow(write=True) as uow:  # changed, flushed, never committed
        row = uow.session.get(Network, other.id)
        assert row is not None
        row.name = "verworfen"
        uow.session.flush()
    assert _versions(world) == after


def test_one_slot_goes_to_exactly_one_of_several_takers(world: App) -> None:
    winners: list[str] = []
    lock = threading.Lock()

    def take(name: str) -> None:
        if take_slot(world, "reminder-sweep", "2026-11-30T07:00:00Z", name):
            with lock:
                winners.append(name)

    threads = [threading.Thread(target=take, args=(f"worker-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    assert not take_slot(world, "reminder-sweep", "2026-11-30T07:00:00Z", "late")
    assert not take_slot(world, "reminder-sweep", "2026-11-29T07:00:00Z", "an earlier slot")
    assert take_slot(world, "reminder-sweep", "2026-12-01T07:00:00Z", "next day")
    assert take_slot(world, "reconcile", "2026-11-30T07:00:00Z", "another job")


def test_a_school_moved_to_another_region_raises_the_region_it_left_too(world: App) -> None:
    """The region page lists the schools of its region: the one a school left must not be served
    from the cache with the school still on it."""
    from verbund.domain.models import Organisation, Region

    with world.uow(write=True) as uow:
        old = uow.session.exec(select(Region)).scalars().first()
        assert old is not None
        school = Organisation(source="test", source_id="ohne-verbund", name="Schule ohne Verbund",
                              kind="public_school", region_id=old.id)  # in no network: only its region shows it
        new = Region(slug="anderswo", name="Anderswo", state=old.state)
        uow.session.add_all([school, new])
        uow.commit()
        old_id, new_id, school_id = old.id, new.id, school.id
    before = _versions(world)
    with world.uow(write=True) as uow:
        row = uow.session.get(Organisation, school_id)
        assert row is not None
        row.region_id = new_id
        uow.commit()
    after = _versions(world)
    changed = {key for key in after if after[key] != before.get(key, 0)}
    assert {("region", old_id), ("region", new_id)} <= changed
