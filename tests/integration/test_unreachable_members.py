"""Never silently skip a partner: members without an active contact, or without an e-mail address or
channel, are counted and named per network by the sweep, the status, the coverage report and the
analysis stage's unmet criteria; ``verbund user list|deactivate|reset-password`` (Typer's runner)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from verbund.cli import main as cli_main
from verbund.domain.models import Contact, Membership, Network, Organisation
from verbund.services.access.user_admin import redeem
from verbund.services.access.users import Principal, add_user, login
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.directory.contacts import set_active
from verbund.services.importers.coverage import coverage_report
from verbund.services.messaging.outbox import sweep
from verbund.services.readmodels.overview import overview
from verbund.services.readmodels.queries import status
from verbund.services.stages.lifecycle import reconcile_stage, show_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NETWORK = "kv-auental-nord"


@pytest.fixture
def region_app(app: App) -> tuple[App, list[str]]:
    """The sample region; in one network a school loses every contact and a partner its e-mail and channels."""
    build_sample_region(app, at=START)
    reconcile_stage(app, NETWORK, "analysis", START)
    with app.uow(write=True) as uow:
        rows = uow.session.exec(select(Organisation).join(Membership, col(Membership.organisation_id) ==
                                                          col(Organisation.id))
                                .join(Network, col(Network.id) == col(Membership.network_id))
                                .where(Network.slug == NETWORK).order_by(col(Organisation.name))).all()
        school = next(o for o in rows if o.kind == "public_school")
        partner = next(o for o in rows if o.kind == "youth_welfare")
        silent = uow.session.exec(select(Contact).where(Contact.organisation_id == partner.id)).all()
        for contact in silent:
            contact.email, contact.channels = None, []
            uow.session.add(contact)
        gone = [str(c.id) for c in uow.session.exec(select(Contact).where(Contact.organisation_id == school.id))]
        uow.commit()
    for contact_id in gone:
        set_active(app, contact_id, False, at=START)
    return app, [school.name, partner.name]


def test_the_sweep_status_coverage_and_analysis_name_the_unreachable_members(region_app: tuple[App, list[str]]
                                                                             ) -> None:
    app, (school, partner) = region_app
    expected = [{"name": partner, "reason": "keine Ansprechperson mit E-Mail-Adresse oder Kanal"},
                {"name": school, "reason": "keine aktive Ansprechperson"}]
    expected.sort(key=lambda row: row["name"])

    report = sweep(app, START).to_dict()
    network = next(n for n in status(app)["networks"] if n["slug"] == NETWORK)
    region = next(r for r in coverage_report(app)["regions"] if r["slug"] == "sn-muldenland")
    unmet = show_stage(app, NETWORK, "analysis")["unmet"]

    assert [row for row in report["unreachable_members"] if row["network"] == NETWORK] == [
        {"network": NETWORK, "count": 2, "organisations": expected}]
    assert network["unreachable_members"] == {"count": 2, "organisations": expected}
    assert {"network": NETWORK, **expected[0]} in region["unreachable_members"]["organisations"]
    in_region = region["unreachable_members"]
    assert in_region["count"] == len(in_region["organisations"]) >= 2  # per network: a Jugendamt serves several
    assert {row["name"] for row in in_region["organisations"]} == {school, partner}
    sentence = next(item for item in unmet if "Keine Nachricht erreicht 2 dieser Mitglieder" in item)
    assert school in sentence and partner in sentence
    shown = next(n for n in overview(app, Principal(uuid.uuid4(), "m@example.org", "M", "ministry"))["networks"]
                 if n["slug"] == NETWORK)
    assert sorted(shown["unreachable"]) == sorted([school, partner])  # the dashboard's overview names them too
    others = [n for n in status(app)["networks"] if n["slug"] != NETWORK]
    assert {o["name"] for n in others for o in n["unreachable_members"]["organisations"]} <= {partner}


def test_users_are_listed_deactivated_and_reset_through_a_one_time_link(app: App,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_main, "_app", lambda **_: app)
    runner = CliRunner()
    add_user(app, email="po@example.org", role="ministry", password="Erstes-Passwort-123")
    add_user(app, email="weg@example.org", role="ministry", password="Erstes-Passwort-123")

    reset = runner.invoke(cli_main.app, ["user", "reset-password", "--email", "po@example.org"])
    link = reset.stdout.strip().splitlines()[-1]
    assert reset.exit_code == 0 and "/einladung/" in link
    assert login(app, "po@example.org", "Erstes-Passwort-123") is None  # the old password is useless now
    redeem(app, link.rsplit("/", 1)[1], "Zweites-Passwort-456", "Zweites-Passwort-456")
    assert login(app, "po@example.org", "Zweites-Passwort-456") is not None

    assert runner.invoke(cli_main.app, ["user", "deactivate", "--email", "weg@example.org"]).exit_code == 0
    again = runner.invoke(cli_main.app, ["user", "deactivate", "--email", "weg@example.org"])
    listed = json.loads(runner.invoke(cli_main.app, ["user", "list", "--json"]).stdout)["users"]
    assert again.exit_code == 1 and "bereits deaktiviert" in again.output
    assert [(u["email"], u["active"]) for u in listed] == [("po@example.org", True), ("weg@example.org", False)]
    assert login(app, "weg@example.org", "Erstes-Passwort-123") is None
    assert "password" not in json.dumps(listed) and "scrypt" not in json.dumps(listed)


def test_the_dashboards_kept_lists_follow_a_contact_change_at_once(region_app: tuple[App, list[str]]) -> None:
    """The overview keeps each network's list by its data version (issue 20): a partner's contact given
    an e-mail address in another unit of work takes the partner off the list on the next read."""
    app, (school, partner) = region_app
    ministry = Principal(uuid.uuid4(), "m@example.org", "M", "ministry")

    def named(shared: bool) -> list[str]:
        shown = next(n for n in overview(app, ministry, shared=shared)["networks"] if n["slug"] == NETWORK)
        return sorted(shown["unreachable"])

    assert named(True) == named(True) == named(False) == sorted([school, partner])
    with app.uow(write=True) as uow:
        org = uow.session.exec(select(Organisation).where(Organisation.name == partner)).first()
        assert org is not None
        contact = uow.session.exec(select(Contact).where(Contact.organisation_id == org.id)).first()
        assert contact is not None
        contact.email = "erreichbar@example.org"
        uow.session.add(contact)
        uow.commit()
    assert named(True) == named(False) == [school]
