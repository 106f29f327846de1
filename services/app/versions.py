"""Data versions (issue 20): raise the counters of the networks and regions a transaction changed,
in that transaction, so that a page cached under the old counters is never served after the commit.

Write units of work (``app.uow(write=True)``, and so every use case of ``services.app.usecase``)
collect what they change on their own: after each flush, every added, changed or deleted row that
names a network (``network_id``, a ``Network``), a region (``region_id``, a ``Region``) or an
organisation (``organisation_id``, an ``Organisation``: its region and the networks it belongs to)
is noted (a row moved from one network, region or organisation to another: the old one too), and
right before the commit the counters are raised (``before_commit``). Writes that
bypass the ORM (bulk inserts and updates of importers, the reminder planner, the outbox) call
``bump`` with what they changed; the outbox's marks, straight through the driver, call ``bump_raw``.

A network's change raises its region's counter as well (the overviews list the networks of a
region). Counters only grow, so the sum of a set of counters changes whenever one of them does.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlmodel import col

from verbund.domain.data_versions import DataVersion
from verbund.domain.models import Membership, Network, Organisation, Region

COLLECT = "verbund_versions"  # session.info key: the ids a write unit of work changed
TABLE = DataVersion.__table__  # type: ignore[attr-defined]
_CHUNK = 500
_regions_of_networks: dict[uuid.UUID, uuid.UUID] = {}  # a network never changes region
_regions_lock = threading.Lock()


class _Changed:
    __slots__ = ("networks", "organisations", "regions")

    def __init__(self) -> None:
        self.networks: set[uuid.UUID] = set()
        self.regions: set[uuid.UUID] = set()
        self.organisations: set[uuid.UUID] = set()


def collect_in(session: Session) -> None:
    """Make ``session`` (a write unit of work's) raise the data versions of what it commits."""
    session.info[COLLECT] = _Changed()


def bump(session: Session, *, networks: Iterable[uuid.UUID | None] = (),
         regions: Iterable[uuid.UUID | None] = (), organisations: Iterable[uuid.UUID | None] = ()) -> None:
    """Note changes the ORM does not see (bulk statements); raised at the session's commit."""
    changed = session.info.get(COLLECT)
    if changed is None:  # not a collecting session: raise now, in its transaction
        changed = _Changed()
        _note(changed, networks, regions, organisations)
        _raise(session.connection(), changed)
        return
    _note(changed, networks, regions, organisations)


def bump_all(session: Session) -> None:
    """Raise every network's and region's version (rare, sweeping changes such as an erasure's text scrub)."""
    connection = session.connection()
    bump(session, networks=connection.execute(select(col(Network.id))).scalars(),
         regions=connection.execute(select(col(Region.id))).scalars())


def bump_on(connection: Connection, *, networks: Iterable[uuid.UUID | None] = (),
            regions: Iterable[uuid.UUID | None] = ()) -> None:
    """Raise the versions of ``networks`` (and their regions) and ``regions`` in ``connection``'s transaction."""
    changed = _Changed()
    _note(changed, networks, regions, ())
    _raise(connection, changed)


def _note(changed: _Changed, networks: Iterable[uuid.UUID | None], regions: Iterable[uuid.UUID | None],
          organisations: Iterable[uuid.UUID | None]) -> None:
    changed.networks.update(n for n in networks if n is not None)
    changed.regions.update(r for r in regions if r is not None)
    changed.organisations.update(o for o in organisations if o is not None)


def _after_flush(session: Session, _context: Any) -> None:
    changed: _Changed | None = session.info.get(COLLECT)
    if changed is None:
        return
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, DataVersion):
            continue
        if isinstance(row, Network):
            changed.networks.add(row.id)
        elif isinstance(row, Region):
            changed.regions.add(row.id)
        elif isinstance(row, Organisation):
            changed.organisations.add(row.id)
        state = inspect(row)
        for name, into in (("network_id", changed.networks), ("region_id", changed.regions),
                           ("organisation_id", changed.organisations)):
            value = getattr(row, name, None)
            if isinstance(value, uuid.UUID):
                into.add(value)
            if name in state.attrs:  # a row moved: the page it left changes too (its old value)
                into.update(old for old in state.attrs[name].history.deleted if isinstance(old, uuid.UUID))


def _before_commit(session: Session) -> None:
    changed: _Changed | None = session.info.get(COLLECT)
    if changed is None:
        return
    session.flush()
    if changed.networks or changed.regions or changed.organisations:
        _raise(session.connection(), changed)
        session.info[COLLECT] = _Changed()


def _raise(connection: Connection, changed: _Changed) -> None:
    networks, regions = set(changed.networks), set(changed.regions)
    organisations = sorted(changed.organisations)
    for start in range(0, len(organisations), _CHUNK):
        chunk = organisations[start:start + _CHUNK]
        networks.update(connection.execute(
            select(col(Membership.network_id)).where(col(Membership.organisation_id).in_(chunk)).distinct()).scalars())
        regions.update(r for r in connection.execute(
            select(col(Organisation.region_id)).where(col(Organisation.id).in_(chunk)).distinct()).scalars()
            if r is not None)
    regions.update(_regions(connection, networks))
    rows = sorted([("network", n) for n in networks] + [("region", r) for r in regions])  # one lock order
    if not rows:
        return
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    for start in range(0, len(rows), _CHUNK):
        statement = insert(TABLE).values([{"kind": kind, "id": key, "version": 1}
                                          for kind, key in rows[start:start + _CHUNK]])
        connection.execute(statement.on_conflict_do_update(
            index_elements=["kind", "id"], set_={"version": TABLE.c.version + 1}))


def _regions(connection: Connection | Engine, networks: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = set(networks)
    with _regions_lock:
        known = {n: _regions_of_networks[n] for n in wanted if n in _regions_of_networks}
    missing = sorted(wanted - known.keys())
    if missing:
        def load(conn: Connection) -> None:
            for start in range(0, len(missing), _CHUNK):
                found = conn.execute(select(col(Network.id), col(Network.region_id))
                                     .where(col(Network.id).in_(missing[start:start + _CHUNK]))).all()
                known.update({network: region for network, region in found})
        if isinstance(connection, Engine):
            with connection.connect() as conn:
                load(conn)
        else:
            load(connection)
        with _regions_lock:
            _regions_of_networks.update(known)
    return set(known.values())


def regions_of(engine: Engine, networks: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The regions of ``networks`` (read outside any transaction; cached, networks never move)."""
    return _regions(engine, networks)


def bump_raw(dbapi_connection: Any, dialect: Dialect, networks: Iterable[uuid.UUID],
             regions: Iterable[uuid.UUID]) -> None:
    """``bump`` straight through the driver, in the caller's open transaction (the outbox's marks)."""
    rows = sorted([("network", n) for n in set(networks)] + [("region", r) for r in set(regions)])
    if not rows:
        return
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    process = TABLE.c.id.type.dialect_impl(dialect).bind_processor(dialect)
    sql = (f"INSERT INTO dataversion (kind, id, version) VALUES ({mark}, {mark}, 1) "  # noqa: S608 - constants
           "ON CONFLICT (kind, id) DO UPDATE SET version = dataversion.version + 1")
    cursor = dbapi_connection.cursor()
    try:
        cursor.executemany(sql, [(kind, process(key) if process else key) for kind, key in rows])
    finally:
        cursor.close()


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "before_commit", _before_commit)

