"""The unreachable members (issue 12) found by the database (issue 20) are exactly those of the
Python definition that loaded every contact: same networks, names and reasons, on SQLite and on
PostgreSQL, for hand-picked cases (no contact, inactive contacts, no e-mail but a channel, empty
e-mail, opted-out channels, failed deliveries, guests, former and future members, closed
organisations, members of two networks) and for many random organisations."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict

import pytest
from sqlalchemy import insert, or_, select
from sqlmodel import Session

from verbund.domain.access import ChannelOptOut
from verbund.domain.models import Contact, Membership, MembershipRole, Network, Organisation, Region
from verbund.domain.outbox import OutboxItem
from verbund.services.app.bootstrap import App
from verbund.services.messaging.reach import NO_CHANNEL, NO_CONTACT, unreachable_members

pytestmark = pytest.mark.sqlite_and_postgresql  # app: on SQLite and on PostgreSQL (tests/conftest.py)


def defined(session: Session, at: dt.datetime, network_ids: list[uuid.UUID] | None = None
            ) -> dict[uuid.UUID, list[tuple[str, str]]]:
    """The definition as it stood before issue 20: every member and every active contact loaded, a
    member reached when one active contact has an e-mail address or a channel (Python truth)."""
    m, o, c = Membership.__table__.c, Organisation.__table__.c, Contact.__table__.c  # type: ignore[attr-defined]
    query = (select(m.network_id, o.id, o.name).join_from(Membership.__table__, Organisation.__table__,  # type: ignore[attr-defined]
                                                          o.id == m.organisation_id)
             .where(m.valid_from <= at, or_(m.valid_to.is_(None), m.valid_to > at),
                    or_(o.closed_at.is_(None), o.closed_at > at), m.role != MembershipRole.guest.value))
    if network_ids is not None:
        query = query.where(m.network_id.in_(network_ids))
    members = session.connection().execute(query).all()
    reach: dict[uuid.UUID, bool] = {}
    for organisation_id, email, channels in session.connection().execute(
            select(c.organisation_id, c.email, c.channels).where(c.active.is_(True))):
        reach[organisation_id] = reach.get(organisation_id, False) or bool(email) or bool(channels)
    found: dict[uuid.UUID, set[tuple[str, str]]] = defaultdict(set)
    for network_id, organisation_id, name in members:
        if not reach.get(organisation_id, False):
            found[network_id].add((name, NO_CONTACT if organisation_id not in reach else NO_CHANNEL))
    return {network_id: sorted(rows) for network_id, rows in found.items()}


def _world(app: App) -> tuple[list[uuid.UUID], dict[str, uuid.UUID]]:
    """Two networks and the hand-picked organisations; returns the network ids and organisations by name."""
    now = app.now()
    past, future = now - dt.timedelta(days=30), now + dt.timedelta(days=30)
    region = {"id": uuid.uuid4(), "slug": "sn-test", "name": "Test", "state": "SN", "parent": None}
    a, b = uuid.uuid4(), uuid.uuid4()
    networks = [{"id": key, "slug": f"kv-{n}", "name": f"Verbund {n}", "region_id": region["id"],
                 "template": "sachsen-inklusion", "created_at": past} for key, n in ((a, "a"), (b, "b"))]
    # name: (contacts as (email, channels, active), memberships as (network, role, valid_from, valid_to), closed_at)
    cases: dict[str, tuple[list[tuple[object, object, bool]], list[tuple[object, str, object, object]], object]] = {
        "emailed": ([("a@x.example", [], True)], [(a, "member", past, None)], None),
        "channel only": ([(None, ["local://k"], True)], [(a, "member", past, None)], None),
        "empty e-mail, no channel": ([("", [], True)], [(a, "member", past, None)], None),
        "no contact": ([], [(a, "member", past, None)], None),
        "inactive only": ([("i@x.example", ["local://i"], False)], [(a, "member", past, None)], None),
        "active silent, inactive emailed": ([(None, [], True), ("j@x.example", [], False)],
                                            [(a, "member", past, None)], None),
        "silent and emailed": ([(None, [], True), ("k@x.example", [], True)], [(a, "member", past, None)], None),
        "opted out of its one channel": ([(None, [], True)], [(a, "member", past, None)], None),
        "failed deliveries": ([("f@x.example", [], True)], [(a, "member", past, None)], None),
        "blank e-mail": ([(" ", [], True)], [(a, "member", past, None)], None),
        "guest": ([], [(a, "guest", past, None)], None),
        "former member": ([], [(a, "member", past - dt.timedelta(days=30), past)], None),
        "future member": ([], [(a, "member", future, None)], None),
        "leaving later": ([], [(a, "member", past, future)], None),
        "closed": ([], [(a, "member", past, None)], past),
        "closing later": ([(None, [], True)], [(a, "member", past, None)], future),
        "in two networks": ([], [(a, "member", past, None), (b, "member", past, None)], None),
        "guest here, member there": ([(None, [], True)], [(a, "guest", past, None), (b, "member", past, None)], None),
        "member twice": ([], [(b, "member", past, now - dt.timedelta(days=1)), (b, "member", past, None)], None),
    }
    orgs, members, contacts, outbox, opt_outs = [], [], [], [], []
    ids: dict[str, uuid.UUID] = {}
    for index, (name, (people, memberships, closed)) in enumerate(cases.items()):
        oid = ids[name] = uuid.uuid4()
        orgs.append({"id": oid, "source": "test", "source_id": str(index), "name": name, "kind": "public_school",
                     "region_id": region["id"], "school_types": [], "special_needs": [], "in_scope": True,
                     "closed_at": closed})
        for network, role, start, end in memberships:
            members.append({"id": uuid.uuid4(), "network_id": network, "organisation_id": oid, "role": role,
                            "valid_from": start, "valid_to": end, "exclusive": False})
        for number, (email, channels, active) in enumerate(people):
            cid = uuid.uuid4()
            contacts.append({"id": cid, "organisation_id": oid, "name": f"{name} {number}", "email": email,
                             "channels": channels, "active": active})
            if name == "opted out of its one channel":
                opt_outs.append({"id": uuid.uuid4(), "contact_id": cid, "channel": "local://weg", "opted_out_at": past})
            if name == "failed deliveries":
                outbox.append({"id": uuid.uuid4(), "key": f"{cid.hex}-0", "contact_id": cid, "network_id": a,
                               "stage": "analysis", "subject": "s", "kind": "reminder", "due": past.date(),
                               "send_after": past, "status": "failed", "attempts": 5, "created_at": past,
                               "context": {}})
    with app.engine.begin() as connection:
        for table, rows in ((Region, [region]), (Network, networks), (Organisation, orgs), (Membership, members),
                            (Contact, contacts), (ChannelOptOut, opt_outs), (OutboxItem, outbox)):
            if rows:
                connection.execute(insert(table.__table__), rows)  # type: ignore[union-attr]
    return [a, b], ids


def test_the_query_names_exactly_the_members_the_definition_names(app: App) -> None:
    (a, b), _ids = _world(app)
    with app.uow(read_only=True) as uow:
        expected = defined(uow.session, app.now())
        assert unreachable_members(uow.session, app.now()) == expected
        assert unreachable_members(uow.session, app.now(), [a]) == defined(uow.session, app.now(), [a])
        assert unreachable_members(uow.session, app.now(), [b]) == defined(uow.session, app.now(), [b])
        assert unreachable_members(uow.session, app.now(), []) == {}
    assert expected[a] == [
        ("active silent, inactive emailed", NO_CHANNEL), ("closing later", NO_CHANNEL),
        ("empty e-mail, no channel", NO_CHANNEL), ("in two networks", NO_CONTACT), ("inactive only", NO_CONTACT),
        ("leaving later", NO_CONTACT), ("no contact", NO_CONTACT), ("opted out of its one channel", NO_CHANNEL)]
    assert expected[b] == [("guest here, member there", NO_CHANNEL), ("in two networks", NO_CONTACT),
                           ("member twice", NO_CONTACT)]
    later = app.now() + dt.timedelta(days=60)  # the future member has joined, two have left or closed
    with app.uow(read_only=True) as uow:
        assert unreachable_members(uow.session, later) == defined(uow.session, later)
        assert ("future member", NO_CONTACT) in unreachable_members(uow.session, later)[a]


def test_the_query_agrees_with_the_definition_on_random_organisations(app: App) -> None:
    rnd = random.Random(20)
    now = app.now()
    region = uuid.uuid4()
    networks = [uuid.uuid4() for _ in range(6)]
    orgs, members, contacts = [], [], []
    for index in range(400):
        oid = uuid.uuid4()
        orgs.append({"id": oid, "source": "rnd", "source_id": str(index), "name": f"Org {index:03d}",
                     "kind": rnd.choice(["public_school", "youth_welfare"]), "region_id": region,
                     "school_types": [], "special_needs": [], "in_scope": True,
                     "closed_at": rnd.choice([None] * 8 + [now - dt.timedelta(days=1), now + dt.timedelta(days=1)])})
        for network in rnd.sample(networks, rnd.choice([0, 1, 1, 1, 2])):
            start = now - dt.timedelta(days=rnd.randint(-5, 50))
            members.append({"id": uuid.uuid4(), "network_id": network, "organisation_id": oid,
                            "role": rnd.choice(["member"] * 4 + ["guest"]), "valid_from": start,
                            "valid_to": rnd.choice([None, None, start + dt.timedelta(days=rnd.randint(1, 60))]),
                            "exclusive": False})
        for number in range(rnd.choice([0, 1, 1, 2, 3])):
            contacts.append({"id": uuid.uuid4(), "organisation_id": oid, "name": f"K {index} {number}",
                             "email": rnd.choice([None, None, "", f"k{index}@x.example"]),
                             "channels": rnd.choice([[], [], [f"local://{index}"]]), "active": rnd.random() < 0.8})
    with app.engine.begin() as connection:
        connection.execute(insert(Region.__table__), [{"id": region, "slug": "he-rnd", "name": "R",  # type: ignore[attr-defined]
                                                       "state": "HE", "parent": None}])
        connection.execute(insert(Network.__table__), [  # type: ignore[attr-defined]
            {"id": n, "slug": f"kv-rnd-{i}", "name": f"V {i}", "region_id": region, "template": "sachsen-inklusion",
             "created_at": now} for i, n in enumerate(networks)])
        for table, rows in ((Organisation, orgs), (Membership, members), (Contact, contacts)):
            connection.execute(insert(table.__table__), rows)  # type: ignore[union-attr]
    with app.uow(read_only=True) as uow:
        expected = defined(uow.session, now)
        assert sum(len(rows) for rows in expected.values()) > 50  # the data exercise both reasons
        assert {reason for rows in expected.values() for _name, reason in rows} == {NO_CONTACT, NO_CHANNEL}
        assert unreachable_members(uow.session, now) == expected
        assert unreachable_members(uow.session, now, networks[:3]) == defined(uow.session, now, networks[:3])
