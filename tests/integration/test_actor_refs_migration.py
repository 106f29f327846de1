"""The migration to actors by reference matches existing free-text actors against contacts and users.

A database at head gets rows written as before (texts, no references), is taken down to the revision
before the references and up again: what names exactly one person becomes a reference (text
emptied), what names nobody or two people stays as typed and is flagged, ``system`` stays as it is.
Runs on SQLite and, when reachable, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlmodel import Session, select

from verbund.domain.access import DashboardUser
from verbund.domain.models import Contact, Organisation
from verbund.domain.stages import AuditEvent
from verbund.domain.work import AnalysisEntry
from verbund.services.app.db import alembic_config, make_engine, migrate

AT = dt.datetime(2019, 9, 2, 7, tzinfo=dt.UTC)
TEXTS = {
    "partner door": "Doreen Schmidt (Kita Sonnenschein)",
    "case and spaces": "  doreen   SCHMIDT ",
    "last, first": "Schmidt, Doreen",
    "title": "Dr. Doreen Schmidt",
    "salutation and organisation": "Frau Schmidt, Doreen (Kita Sonnenschein)",
    "user address": "Koordination@Example.org",
    "user name": "Karl Koordinator",
    "contact address": "max.muster@jugendamt.example.org",
    "namesake": "Max Muster",
    "namesake with organisation": "Max Muster (Jugendamt Auental)",
    "nobody": "Frau Unbekannt-Beispiel",
    "system": "system",
    "organisation acting": "Jugendamt  Auental",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/refs.db"
    else:
        yield request.getfixturevalue("pg_database_url")


def _world(session: Session) -> dict[str, str]:
    kita = Organisation(source="test", source_id="kita", name="Kita Sonnenschein", kind="daycare")
    youth = Organisation(source="test", source_id="ja", name="Jugendamt Auental", kind="youth_welfare")
    other = Organisation(source="test", source_id="ja2", name="Jugendamt Bergland", kind="youth_welfare")
    session.add_all([kita, youth, other])
    session.flush()
    doreen = Contact(organisation_id=kita.id, name="Doreen Schmidt", email="d.schmidt@kita.example.org")
    max_a = Contact(organisation_id=youth.id, name="Max Muster", email="max.muster@jugendamt.example.org")
    max_b = Contact(organisation_id=other.id, name="Max Muster")
    user = DashboardUser(email="koordination@example.org", name="Karl Koordinator", role="coordinator",
                         password_hash="!", created_at=AT)
    session.add_all([doreen, max_a, max_b, user])
    session.flush()
    return {"doreen": f"contact:{doreen.id}", "max_a": f"contact:{max_a.id}", "user": f"user:{user.id}",
            "kita": str(kita.id)}


def test_free_text_actors_become_references_where_exactly_one_person_matches(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:  # a bare session: rows stored as they were before the references
        people = _world(session)
        ids = {}
        for case, text in TEXTS.items():
            event = AuditEvent(at=AT, recorded_at=AT, actor=text, entity="test", action=case)
            session.add(event)
            ids[case] = event.id
        session.add(AnalysisEntry(network_id=_network(session), organisation_id=uuid.UUID(people["kita"]),
                                  category="conditions", recorded_by="Schmidt, Doreen", recorded_at=AT))
        session.commit()
    command.downgrade(alembic_config(engine), "login_throttle")
    migrate(engine)
    with Session(engine) as session:
        stored = {e.action: (e.actor, e.actor_ref) for e in session.exec(select(AuditEvent)).all()}
        entry = session.exec(select(AnalysisEntry)).one()
    assert stored == {
        "partner door": ("", people["doreen"]),
        "case and spaces": ("", people["doreen"]),
        "last, first": ("", people["doreen"]),
        "title": ("", people["doreen"]),
        "salutation and organisation": ("", people["doreen"]),
        "user address": ("", people["user"]),
        "user name": ("", people["user"]),
        "contact address": ("", people["max_a"]),
        "namesake": ("Max Muster", "unmatched"),  # two contacts of that name: not guessed
        "namesake with organisation": ("", people["max_a"]),
        "nobody": ("Frau Unbekannt-Beispiel", "unmatched"),
        "system": ("system", None),
        "organisation acting": ("Jugendamt  Auental", None),  # no person: not flagged
    }
    assert (entry.recorded_by, entry.recorded_by_ref) == ("", people["doreen"])
    engine.dispose()


def _network(session: Session) -> uuid.UUID:
    from verbund.domain.models import Network, Region

    region = Region(slug="sn-test", name="Test", state="SN")
    session.add(region)
    session.flush()
    network = Network(slug="kv-test", name="KV Test", region_id=region.id, template="sachsen-inklusion",
                      created_at=AT)
    session.add(network)
    session.flush()
    return network.id
