"""Deputies named through partner links (issue 15): one active deputy per organisation and stage,
whichever of the organisation's contacts names them; a replayed form stores nothing new; the
database itself refuses a second active deputy (partial unique index, SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from verbund.domain.access import StageDeputy
from verbund.domain.models import Contact, Membership, Network
from verbund.domain.stages import AuditEvent
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.links import STAGE_PURPOSE, LinkScope
from verbund.services.inputs.partners import name_deputy, view

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NETWORK = "kv-auental-nord"


class Org:
    """A member organisation of the network with two contacts, each with links for any stage."""

    def __init__(self, app: App) -> None:
        self.app = app
        with app.uow(write=True) as uow:
            network = uow.session.exec(select(Network).where(Network.slug == NETWORK)).one()
            member = uow.session.exec(select(Membership).where(Membership.network_id == network.id)).first()
            assert member is not None
            first = uow.session.exec(select(Contact).where(Contact.organisation_id == member.organisation_id,
                                                           col(Contact.active).is_(True))).first()
            assert first is not None
            second = Contact(organisation_id=member.organisation_id, name="Zweite Ansprechperson",
                             email=f"zweite-{uuid.uuid4().hex[:6]}@schule.example", channels=[])
            uow.session.add(second)
            uow.commit()
            self.id, self.network_id = member.organisation_id, network.id
            self.contacts = [first.id, second.id]

    def scope(self, stage: str, contact: int = 0) -> LinkScope:
        return LinkScope(self.contacts[contact], NETWORK, stage, STAGE_PURPOSE[stage],
                         self.app.now() + dt.timedelta(days=14))

    def active(self) -> list[tuple[str, str]]:
        """(stage, deputy's e-mail) of every active deputy of the organisation."""
        with self.app.uow() as uow:
            rows = uow.session.exec(select(StageDeputy.stage, Contact.email)
                                    .join(Contact, col(Contact.id) == StageDeputy.deputy_id)
                                    .where(StageDeputy.organisation_id == self.id,
                                           col(StageDeputy.ended_at).is_(None))).all()
        return sorted((stage, str(email)) for stage, email in rows)

    def count(self, model: type, *where: object) -> int:
        with self.app.uow() as uow:
            return int(uow.session.exec(select(func.count()).select_from(model).where(*where)).one())


def world(app: App) -> Org:
    build_sample_region(app, at=START)
    return Org(app)


@pytest.fixture
def org(app: App) -> Org:
    return world(app)


def test_two_contacts_of_one_organisation_share_one_active_deputy_per_stage(org: Org) -> None:
    assert name_deputy(org.app, org.scope("analysis", 0), "Frau Erste", "erste@schule.example")
    assert name_deputy(org.app, org.scope("analysis", 1), "Herr Zweiter", "zweiter@schule.example")
    assert org.active() == [("analysis", "zweiter@schule.example")]
    with org.app.uow() as uow:
        first = uow.session.exec(select(Contact).where(Contact.email == "erste@schule.example")).one()
    assert not first.active  # created by the form, replaced, deputising nowhere else: kept, deactivated
    shown = view(org.app, org.scope("analysis", 0)).deputy
    assert shown == "Herr Zweiter (zweiter@schule.example)"


def test_each_stage_has_its_own_deputy(org: Org) -> None:
    assert name_deputy(org.app, org.scope("analysis"), "Frau Analyse", "analyse@schule.example")
    assert name_deputy(org.app, org.scope("potentials", 1), "Herr Potenzial", "potenzial@schule.example")
    assert org.active() == [("analysis", "analyse@schule.example"), ("potentials", "potenzial@schule.example")]
    assert view(org.app, org.scope("consultation")).deputy is None


def test_a_replayed_deputy_form_stores_nothing_new(org: Org) -> None:
    results = [name_deputy(org.app, org.scope("analysis", n % 2), "Frau Vertretung", "vertretung@schule.example")
               for n in range(5)]
    assert results == [True, False, False, False, False]
    assert org.count(StageDeputy) == 1
    assert org.count(Contact, Contact.email == "vertretung@schule.example") == 1
    assert org.count(AuditEvent, AuditEvent.action == "deputy_named") == 1


def test_a_deputy_named_again_after_being_replaced_is_active_again(org: Org) -> None:
    for email in ("a@schule.example", "b@schule.example", "a@schule.example"):
        assert name_deputy(org.app, org.scope("analysis"), "Vertretung", email)
    assert org.active() == [("analysis", "a@schule.example")]
    assert org.count(StageDeputy) == 3 and org.count(StageDeputy, col(StageDeputy.ended_at).is_not(None)) == 2
    with org.app.uow() as uow:
        states = {c.email: c.active for c in uow.session.exec(select(Contact).where(
            col(Contact.email).in_(["a@schule.example", "b@schule.example"]))).all()}
    assert states == {"a@schule.example": True, "b@schule.example": False}


def _second_active_row(org: Org) -> None:
    name_deputy(org.app, org.scope("analysis"), "Frau Erste", "erste@schule.example")
    with org.app.uow(write=True) as uow:
        uow.session.add(StageDeputy(organisation_id=org.id, network_id=org.network_id, stage="analysis",
                                    deputy_id=org.contacts[1], named_by=org.contacts[0], named_at=org.app.now()))
        uow.commit()


def test_the_database_refuses_a_second_active_deputy_for_an_organisation_and_stage(org: Org) -> None:
    with pytest.raises(IntegrityError):
        _second_active_row(org)
    assert org.count(StageDeputy) == 1


@pytest.fixture
def pg_org(pg_database_url: str) -> Iterator[Org]:
    app = bootstrap(Settings(database_url=pg_database_url), clock=ManualClock(START), trigger=RecordingTrigger())
    yield world(app)
    app.engine.dispose()


def test_on_postgresql_too_one_active_deputy_per_organisation_and_stage(pg_org: Org) -> None:
    for contact, email in ((0, "erste@schule.example"), (1, "zweiter@schule.example"), (1, "zweiter@schule.example")):
        name_deputy(pg_org.app, pg_org.scope("analysis", contact), "Vertretung", email)
    assert pg_org.active() == [("analysis", "zweiter@schule.example")]
    with pytest.raises(IntegrityError), pg_org.app.uow(write=True) as uow:
        uow.session.add(StageDeputy(organisation_id=pg_org.id, network_id=pg_org.network_id, stage="analysis",
                                    deputy_id=pg_org.contacts[0], named_by=pg_org.contacts[0],
                                    named_at=pg_org.app.now()))
        uow.commit()
