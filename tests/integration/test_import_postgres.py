"""The imports, assignment and the one-assignment constraint on PostgreSQL (production's database).

Skipped with the reason when no PostgreSQL is reachable on 127.0.0.1:5432 (``pg_database_url``), or
when the shared school data is absent.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from verbund.domain.errors import InvalidInput
from verbund.domain.models import Membership, MembershipRole, Network, Organisation, Region
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings
from verbund.services.importers import NrwAdapter, SachsenAdapter, import_file
from verbund.services.importers.assignment import apply_rules, assign_school, load_rules
from verbund.services.importers.coverage import coverage_report
from verbund.services.importers.explicit import apply_mapping

SHARED_DATA = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
ZWICKAU = SHARED_DATA / "sachsen" / "schuldatenbank_api_2021-02_zwickau.json"
ARNSBERG = SHARED_DATA / "nrw" / "schuldaten_arnsberg_excerpt.csv"
pytestmark = pytest.mark.skipif(
    not (ZWICKAU.exists() and ARNSBERG.exists()),
    reason=f"real school data not found under {SHARED_DATA} (set VERBUND_SHARED_DATA)",
)
NETWORKS = """
[[networks]]
slug = "kv-vogtland"
name = "Kooperationsverbund Vogtland"
region = "sn-zwickau"
{vogtland}

[[networks]]
slug = "kv-zwickau-land"
name = "Kooperationsverbund Landkreis Zwickau"
region = "sn-zwickau"
{zwickau}
"""


@pytest.fixture
def pg_app(pg_database_url: str, clock: ManualClock) -> Iterator[App]:
    """The real service layer on a fresh PostgreSQL database (migrated by bootstrap)."""
    app = bootstrap(Settings(database_url=pg_database_url), clock=clock, trigger=RecordingTrigger())
    assert app.engine.dialect.name == "postgresql"
    yield app
    app.engine.dispose()


def networks(app: App, tmp_path: Path, vogtland: str = "", zwickau: str = "") -> Any:
    path = tmp_path / "rules.toml"
    path.write_text(NETWORKS.format(vogtland=vogtland, zwickau=zwickau), encoding="utf-8")
    return apply_rules(app, load_rules(path))


def snapshot(app: App) -> list[tuple[Any, ...]]:
    with app.uow() as uow:
        rows: list[tuple[Any, ...]] = []
        for table, order in ((Organisation, Organisation.source_id), (Membership, Membership.id),
                             (Region, Region.slug)):
            for item in uow.session.exec(select(table).order_by(col(order))).all():
                rows.append(tuple(sorted(item.model_dump(mode="json").items())))
        return rows


def zwickau_row(app: App) -> dict[str, Any]:
    return next(r for r in coverage_report(app)["regions"] if r["slug"] == "sn-zwickau")


def test_the_zwickau_excerpt_imports_on_postgresql_and_a_reimport_changes_nothing(pg_app: App) -> None:
    first = import_file(pg_app, SachsenAdapter(), ZWICKAU)
    before = snapshot(pg_app)
    again = import_file(pg_app, SachsenAdapter(), ZWICKAU)

    raw = json.loads(ZWICKAU.read_text(encoding="utf-8"))
    assert (first.created, first.rejected) == (len(raw), [])
    assert (again.created, again.updated, again.closed, again.unchanged) == (0, 0, 0, len(raw))
    assert snapshot(pg_app) == before
    row = zwickau_row(pg_app)
    assert (row["schools_in_scope"], row["assigned"], row["unassigned"]) == (189, 0, 189)
    with pg_app.uow() as uow:
        schools = uow.session.exec(select(Organisation).where(col(Organisation.in_scope).is_(True))).all()
    assert len([s for s in schools if s.special_needs]) == 19


def test_the_nrw_excerpt_imports_on_postgresql_with_wgs84_coordinates(pg_app: App) -> None:
    report = import_file(pg_app, NrwAdapter(), ARNSBERG)

    assert report.created == 80 and report.rejected == []
    with pg_app.uow() as uow:
        located = [o for o in uow.session.exec(select(Organisation)).all() if o.latitude is not None]
    assert located and all(50.0 < o.latitude < 52.6 and 5.8 < (o.longitude or 0) < 9.5  # type: ignore[operator]
                           for o in located)


def test_rules_and_a_mapping_file_cover_the_region_on_postgresql(pg_app: App, tmp_path: Path) -> None:
    import_file(pg_app, SachsenAdapter(), ZWICKAU)
    report = networks(pg_app, tmp_path, 'kreise = ["14523"]', 'kreise = ["14524"]')
    mapping = tmp_path / "zuordnung.csv"
    mapping.write_text("school;network\nsachsen:1003;kv-vogtland\n", encoding="utf-8")

    assert report.assigned == 189 and report.conflicts == []
    assert apply_mapping(pg_app, mapping).unchanged == 1
    row = zwickau_row(pg_app)
    assert (row["assigned"], row["unassigned"], row["assigned_twice"]) == (189, 0, 0)


def test_a_second_open_assignment_is_refused_by_the_postgresql_index(pg_app: App, tmp_path: Path) -> None:
    import_file(pg_app, SachsenAdapter(), ZWICKAU)
    networks(pg_app, tmp_path, 'kreise = ["14523"]')

    with pg_app.uow(write=True) as uow, pytest.raises(IntegrityError, match="ux_membership_one_assignment"):
        school = uow.session.exec(select(Organisation).where(Organisation.source_id == "1003")).one()
        other = uow.session.exec(select(Network).where(Network.slug == "kv-zwickau-land")).one()
        uow.session.add(Membership(network_id=other.id, organisation_id=school.id, role=MembershipRole.member,
                                   valid_from=pg_app.now(), exclusive=True))
        uow.session.flush()


def _wait_for_lock_wait(app: App, timeout: float = 20.0) -> None:
    """Until another backend of this database waits for a lock (the second insert, on the index)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.engine.connect() as connection:
            waiting = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()").scalar_one()
        if waiting:
            return
        time.sleep(0.05)
    raise AssertionError("the concurrent assignment never waited for the first one")


def test_a_concurrent_second_assignment_waits_and_is_refused_by_the_database(pg_app: App, tmp_path: Path) -> None:
    import_file(pg_app, SachsenAdapter(), ZWICKAU)
    networks(pg_app, tmp_path)  # both networks, nobody assigned
    outcome: dict[str, BaseException | dict[str, Any]] = {}

    def second() -> None:
        try:
            outcome["second"] = assign_school(pg_app, "sachsen:1003", "kv-zwickau-land", by="b@example.org")
        except BaseException as error:  # handed to the test thread
            outcome["second"] = error

    with pg_app.uow(write=True) as uow:  # the first assignment, not yet committed
        school = uow.session.exec(select(Organisation).where(Organisation.source_id == "1003")).one()
        first = uow.session.exec(select(Network).where(Network.slug == "kv-vogtland")).one()
        uow.session.add(Membership(network_id=first.id, organisation_id=school.id, role=MembershipRole.member,
                                   valid_from=pg_app.now(), exclusive=True, basis="erste"))
        uow.session.flush()
        thread = threading.Thread(target=second)
        thread.start()
        _wait_for_lock_wait(pg_app)  # the second saw no assignment and now waits on the unique index
        uow.commit()
    thread.join(timeout=30)

    assert not thread.is_alive()
    error = outcome["second"]
    assert isinstance(error, InvalidInput) and "gleichzeitig" in str(error), error
    assert isinstance(error.__cause__, IntegrityError)
    with pg_app.uow() as uow:
        open_ones = uow.session.exec(select(Membership.basis).where(
            Membership.organisation_id == school.id, col(Membership.valid_to).is_(None))).all()
    assert open_ones == ["erste"]
    row = zwickau_row(pg_app)
    assert (row["assigned"], row["assigned_twice"]) == (1, 0)
