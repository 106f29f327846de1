"""The dashboard's read models after the speed work (issue 5): the set-based coverage count, network
pages read from plain columns, and read-only units of work that never wait for SQLite's write lock."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid

import pytest
from sqlalchemy import text

from verbund.domain.models import Contact, Membership, Organisation
from verbund.domain.outbox import OutboxItem
from verbund.domain.work import AnalysisEntry
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import ManualClock
from verbund.services.app.lookup import network_by_slug, region_by_slug
from verbund.services.directory.setup import (
    OrganisationSpec,
    add_member,
    add_member_by_slug,
    create_network,
    upsert_organisation,
    upsert_region,
)
from verbund.services.importers.coverage import region_coverage
from verbund.services.readmodels.network_page import end_membership, network_page
from verbund.services.readmodels.overview import OverviewQuery, overview

MINISTRY = Principal(uuid.uuid4(), "m@example.org", "Ministerium", "ministry")


pytestmark = pytest.mark.sqlite_and_postgresql  # app: on SQLite and on PostgreSQL (tests/conftest.py)


def _school(app: App, region: str, key: str, kind: str = "public_school", **changes: object) -> uuid.UUID:
    with app.uow(write=True) as uow:
        org = upsert_organisation(uow.session, upsert_region(uow.session, region, region, region[:2].upper()),
                                  OrganisationSpec("test", key, f"Schule {key}", kind))
        for name, value in changes.items():
            setattr(org, name, value)
        uow.session.add(org)
        uow.commit()
        return org.id


def _network(app: App, region: str, slug: str) -> None:
    with app.uow(write=True) as uow:
        create_network(uow.session, upsert_region(uow.session, region, region, region[:2].upper()), slug,
                       f"Verbund {slug}", "sachsen-inklusion", app.now())
        uow.commit()


COVERAGE = ("schools_in_scope", "assigned", "unassigned", "assigned_twice")


def _coverage(app: App) -> dict[str, tuple[int, ...]]:
    """Per region: (in scope, assigned exactly once, unassigned, assigned twice or more); the dashboard's
    kept counts (by the regions' data versions, ``shared=True``) must equal a fresh count every time."""
    found = [{r["slug"]: tuple(r[key] for key in COVERAGE) for r in overview(app, MINISTRY, OverviewQuery(),
                                                                              shared=shared)["regions"]}
             for shared in (False, True, True)]
    assert found[0] == found[1] == found[2], found
    return found[0]


def test_coverage_counts_public_schools_in_scope_assigned_exactly_once(app: App) -> None:
    _network(app, "sn-nord", "kv-nord-a")
    _network(app, "sn-nord", "kv-nord-b")
    _network(app, "sn-sued", "kv-sued")
    member = _school(app, "sn-nord", "a")
    twice = _school(app, "sn-nord", "b")
    left = _school(app, "sn-nord", "c")
    _school(app, "sn-nord", "d")  # not a member
    closed = _school(app, "sn-nord", "e", closed_at=dt.datetime(2019, 1, 1, tzinfo=dt.UTC))
    out = _school(app, "sn-nord", "f", in_scope=False, out_of_scope_reason="Test")
    private = _school(app, "sn-nord", "g", kind="private_school")
    south = _school(app, "sn-sued", "h")
    for org in (member, twice, left, closed, out, private):
        add_member_by_slug(app, "kv-nord-a", org)
    add_member_by_slug(app, "kv-nord-b", twice)
    add_member_by_slug(app, "kv-sued", south)
    end_membership(app, "kv-nord-a", str(left), by="test")
    # in scope: a, b, c, d (e closed, f out of scope, g private); once: a; twice: b; unassigned: c (left), d
    assert _coverage(app) == {"sn-nord": (4, 1, 2, 1), "sn-sued": (1, 1, 0, 0)}
    assert _exit_fact(app, "sn-nord") == (4, ["Schule c", "Schule d"], ["Schule b"])  # the exit check's reading
    add_member_by_slug(app, "kv-nord-b", left)
    assert _coverage(app)["sn-nord"] == (4, 2, 1, 1), "an action is visible on the next read, nothing is cached"
    assert _exit_fact(app, "sn-nord") == (4, ["Schule d"], ["Schule b"])


def _exit_fact(app: App, region: str) -> tuple[int, list[str], list[str]]:
    """The analysis stage's coverage fact (``region_coverage``): the same definition, with the names."""
    with app.uow(read_only=True) as uow:
        fact = region_coverage(uow.session, region_by_slug(uow.session, region).id, app.now())
    return fact.schools_in_scope, sorted(fact.unassigned), sorted(fact.multiply_assigned)


def test_a_region_without_public_schools_shows_zero_coverage(app: App) -> None:
    _network(app, "sn-leer", "kv-leer")
    _school(app, "sn-leer", "kita", kind="daycare")
    assert _coverage(app) == {"sn-leer": (0, 0, 0, 0)}


def test_the_network_page_lists_current_members_with_contacts_and_names_former_ones(app: App) -> None:
    _network(app, "sn-nord", "kv-nord")
    stays, leaves = _school(app, "sn-nord", "stays"), _school(app, "sn-nord", "leaves")
    with app.uow(write=True) as uow:
        uow.session.add(Contact(organisation_id=stays, name="Frau A", channels=["local://a", "local://b"]))
        uow.session.add(Contact(organisation_id=stays, name="Herr Alt", channels=[], active=False))
        uow.commit()
    add_member_by_slug(app, "kv-nord", stays)
    add_member_by_slug(app, "kv-nord", leaves)
    with app.uow(write=True) as uow:
        uow.session.add(AnalysisEntry(network_id=network_by_slug(uow.session, "kv-nord").id, organisation_id=leaves,
                                      category="conditions", text="vorher erfasst", recorded_by="test",
                                      recorded_at=app.now()))
        uow.commit()
    end_membership(app, "kv-nord", str(leaves), by="test")
    page = network_page(app, "kv-nord")
    assert [(m["name"], [(c["name"], c["channels"]) for c in m["contacts"]]) for m in page["members"]] == [
        ("Schule stays", [("Frau A", 2)])]
    assert [(e["organisation"], e["text"]) for e in page["analysis"]] == [("Schule leaves", "vorher erfasst")]


def test_a_membership_starting_later_is_not_shown_yet(app: App) -> None:
    _network(app, "sn-nord", "kv-nord")
    org_id = _school(app, "sn-nord", "later")
    with app.uow(write=True) as uow:
        org = uow.session.get(Organisation, org_id)
        assert org is not None
        add_member(uow.session, network_by_slug(uow.session, "kv-nord"), org, "member",
                   app.now() + dt.timedelta(days=3), "test")
        uow.commit()
    assert network_page(app, "kv-nord")["members"] == []


def test_read_only_pages_do_not_wait_for_a_writer_holding_the_sqlite_write_lock(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL readers never wait for writers; the write lock at BEGIN is SQLite's")
    _network(app, "sn-nord", "kv-nord")
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with app.uow() as uow:  # BEGIN IMMEDIATE: holds the write lock until released
            uow.session.execute(text("SELECT 1"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(5)
        started = time.perf_counter()
        overview(app, MINISTRY, OverviewQuery())
        network_page(app, "kv-nord")
        assert time.perf_counter() - started < 2.0, "a read waited for the write lock"
    finally:
        release.set()
        thread.join()


def test_a_read_only_unit_of_work_refuses_to_commit(app: App) -> None:
    with app.uow(read_only=True) as uow, pytest.raises(RuntimeError, match="read-only"):
        uow.commit()


def test_the_overview_counts_each_networks_sent_and_failed_messages(app: App) -> None:
    _network(app, "sn-nord", "kv-a")
    _network(app, "sn-nord", "kv-b")
    org = _school(app, "sn-nord", "a")
    with app.uow(write=True) as uow:
        contact = Contact(organisation_id=org, name="Frau A", channels=["local://a"])
        uow.session.add(contact)
        uow.session.flush()
        for number, (slug, status) in enumerate([("kv-a", "sent"), ("kv-a", "sent"), ("kv-a", "failed"),
                                                 ("kv-a", "pending"), ("kv-b", "failed")]):
            uow.session.add(OutboxItem(key=f"k{number}", contact_id=contact.id,
                                       network_id=network_by_slug(uow.session, slug).id, subject="s",
                                       kind="reminder", due=app.now().date(), send_after=app.now(), status=status,
                                       created_at=app.now()))
        uow.commit()
    rows = {n["slug"]: n["messages"] for n in overview(app, MINISTRY, OverviewQuery())["networks"]}
    assert rows == {"kv-a": {"sent": 2, "failed": 1}, "kv-b": {"sent": 0, "failed": 1}}


def test_the_overviews_coverage_equals_verbund_coverage_json(app: App, clock: ManualClock) -> None:
    """One definition: guests, double memberships, two memberships in one network, a membership that
    starts later, closed, out-of-scope and private schools count on the dashboard as in ``verbund coverage``."""
    from typer.testing import CliRunner

    from verbund.cli.main import app as cli

    for region, slug in (("sn-nord", "kv-nord-a"), ("sn-nord", "kv-nord-b"), ("sn-sued", "kv-sued")):
        _network(app, region, slug)
    s = {key: _school(app, "sn-nord", key) for key in ("once", "twice", "left", "never", "guest", "guest-member",
                                                       "same-network", "later")}
    closed = _school(app, "sn-nord", "closed", closed_at=app.now() - dt.timedelta(days=30))
    out = _school(app, "sn-nord", "out", in_scope=False, out_of_scope_reason="Test")
    private = _school(app, "sn-nord", "private", kind="private_school")
    south = _school(app, "sn-sued", "south")
    _school(app, "sn-sued", "south-guest")
    for org in (s["once"], s["twice"], s["left"], s["same-network"], closed, out, private):
        add_member_by_slug(app, "kv-nord-a", org)
    add_member_by_slug(app, "kv-nord-b", s["twice"])
    add_member_by_slug(app, "kv-nord-a", s["guest"], role="guest")
    add_member_by_slug(app, "kv-nord-a", s["guest-member"])
    add_member_by_slug(app, "kv-nord-b", s["guest-member"], role="guest")
    add_member_by_slug(app, "kv-sued", south)
    # south-guest stays unassigned: a network takes no school of another region, not even as a guest (scope)
    with app.uow(write=True) as uow:  # a second active membership in the same network (another role): still one network
        network = network_by_slug(uow.session, "kv-nord-a")
        uow.session.add(Membership(network_id=network.id, organisation_id=s["same-network"], role="coordinator",
                                   valid_from=app.now() - dt.timedelta(days=1)))
        later = uow.session.get(Organisation, s["later"])
        assert later is not None
        add_member(uow.session, network, later, "member", app.now() + dt.timedelta(days=3), "test")
        uow.commit()
    clock.advance(dt.timedelta(hours=1))
    end_membership(app, "kv-nord-a", str(s["left"]), by="test")
    clock.advance(dt.timedelta(hours=1))

    shown = _coverage(app)
    result = CliRunner().invoke(cli, ["coverage", "--json"], env={
        "VERBUND_DATABASE_URL": app.settings.database_url, "VERBUND_NOW": app.now().isoformat()})
    assert result.exit_code == 0, result.output
    official = {r["slug"]: tuple(r[key] for key in COVERAGE) for r in json.loads(result.stdout)["regions"]}
    assert shown == official
    # once, guest-member, same-network assigned; twice twice; left, never, guest, later unassigned
    assert shown == {"sn-nord": (8, 3, 4, 1), "sn-sued": (2, 1, 1, 0)}
    page = overview(app, MINISTRY, OverviewQuery(region="sn-nord"))
    assert [r["assigned_twice"] for r in page["regions"]] == [1]
