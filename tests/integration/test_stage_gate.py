"""Input follows the stage: accepted while it is open or ready; a pending, completed or waived stage
and a held consultation refuse, saying why and whom to ask; a process owner may reopen."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select
from tests_support_stages import open_stage

from verbund.domain.errors import IllegalTransition, InvalidInput
from verbund.domain.work import AnalysisEntry, Attendance, Potential
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.consultation import (
    AttendanceInput,
    HoldInput,
    hold_consultation,
    record_invitations_sent,
    schedule_consultation,
)
from verbund.services.inputs.work import (
    AnalysisInput,
    PotentialInput,
    organisation_ids,
    record_analysis,
    record_potentials,
)
from verbund.services.stages.lifecycle import advance_stage, reconcile_stage, reopen_stage, show_stage, waive_stage
from verbund.services.stages.stage_gate import StageClosed

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NETWORK = "kv-auental-nord"
PO = "po@example.org"


def _count(app: App, model: type) -> int:
    with app.uow() as uow:
        return int(uow.session.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def world(app: App) -> App:
    build_sample_region(app, at=START)
    reconcile_stage(app, NETWORK, "analysis", START)
    return app


def _member(app: App) -> str:
    return str(next(iter(organisation_ids(app, NETWORK).values())))


def _potentials(app: App, at: dt.datetime, title: str = "Fallberatung") -> int:
    items = [PotentialInput(area, f"{title} {area}", raised_by=[_member(app)])
             for area in ("communication", "special_offers", "process_steering")]
    return record_potentials(app, NETWORK, items, by="k@example.org", at=at)


def test_a_pending_stage_refuses_input_and_names_whom_to_ask(world: App) -> None:
    with pytest.raises(StageClosed) as refused:
        _potentials(world, START + dt.timedelta(days=1))
    message = str(refused.value)
    assert "Potenziale" in message and "noch nicht eröffnet" in message and "Koordination" in message
    assert isinstance(refused.value, InvalidInput)  # every door shows it as a refusal, never a 500
    assert _count(world, Potential) == 0


def test_a_waived_stage_refuses_an_analysis_answer_and_stores_nothing(world: App) -> None:
    waive_stage(world, NETWORK, "analysis", reason="Analyse aus 2018", by=PO, at=START + dt.timedelta(days=1))
    with pytest.raises(StageClosed, match=r"verzichtet.*Prozessverantwortlichen"):
        record_analysis(world, NETWORK, [AnalysisInput(_member(world), "conditions", text="spät")], by="partner",
                        at=START + dt.timedelta(days=2))
    assert _count(world, AnalysisEntry) == 0


def test_a_completed_stage_refuses_changes_until_a_process_owner_reopens_it(world: App) -> None:
    open_stage(world, NETWORK, "potentials", START + dt.timedelta(days=1))
    _potentials(world, START + dt.timedelta(days=2))
    assert reconcile_stage(world, NETWORK, "potentials", START + dt.timedelta(days=2)).state == "completed"
    with pytest.raises(StageClosed) as refused:
        _potentials(world, START + dt.timedelta(days=3), title="Nachzügler")
    assert "abgeschlossen" in str(refused.value) and "stage reopen" in str(refused.value)
    assert _count(world, Potential) == 3

    with pytest.raises(InvalidInput, match="Begründung"):
        reopen_stage(world, NETWORK, "potentials", reason=" ", by=PO)
    report = reopen_stage(world, NETWORK, "potentials", reason="Potenzial der Kita fehlte", by=PO,
                          at=START + dt.timedelta(days=4))
    assert report.state == "open"
    assert _potentials(world, START + dt.timedelta(days=4), title="Nachzügler") == 3
    # criteria are met again, but a reopened stage waits for a new sign-off instead of completing itself
    assert reconcile_stage(world, NETWORK, "potentials", START + dt.timedelta(days=4)).state == "ready"
    with pytest.raises(IllegalTransition, match="Abnahme"):
        advance_stage(world, NETWORK, "potentials", at=START + dt.timedelta(days=4))
    assert advance_stage(world, NETWORK, "potentials", by=PO, at=START + dt.timedelta(days=5)).state == "completed"
    events = [e for e in show_stage(world, NETWORK, "potentials")["events"] if e["from"] == "completed"]
    assert [(e["to"], e["actor"], e["reason"]) for e in events] == [("open", PO, "Potenzial der Kita fehlte")]


def test_only_a_finished_stage_can_be_reopened(world: App) -> None:
    with pytest.raises(IllegalTransition, match="nur eine abgeschlossene oder erlassene Stufe"):
        reopen_stage(world, NETWORK, "analysis", reason="Korrektur", by=PO)


def test_a_held_consultation_keeps_its_attendance_and_decisions(world: App) -> None:
    open_stage(world, NETWORK, "consultation", START + dt.timedelta(days=1))
    starts = START + dt.timedelta(days=20)
    schedule_consultation(world, NETWORK, starts_at=starts, place="Rathaus", by="k@example.org",
                          at=START + dt.timedelta(days=2))
    record_invitations_sent(world, NETWORK, by="k@example.org", at=START + dt.timedelta(days=2))
    present = [AttendanceInput(oid, present=True) for oid in map(str, organisation_ids(world, NETWORK).values())]
    hold_consultation(world, NETWORK, HoldInput(present, ["Ziele bestätigt"]), by="k@example.org",
                      at=starts + dt.timedelta(hours=2))
    absent = [AttendanceInput(item.organisation_id, present=False) for item in present]
    with pytest.raises(StageClosed, match=r"stattgefunden.*festgeschrieben"):
        hold_consultation(world, NETWORK, HoldInput(absent, ["überschrieben"]), by="k@example.org",
                          at=starts + dt.timedelta(days=20))
    with world.uow() as uow:
        assert all(row.present for row in uow.session.exec(select(Attendance)).all())
    with pytest.raises(StageClosed):
        schedule_consultation(world, NETWORK, starts_at=starts + dt.timedelta(days=40), place="Rathaus",
                              by="k@example.org", at=starts + dt.timedelta(days=21))


def test_forms_accept_only_member_organisations_and_members_only_from_the_region(world: App) -> None:
    from verbund.domain.models import Organisation, Region
    from verbund.services.directory.setup import add_member_by_slug
    from verbund.services.readmodels.network_page import find_organisations

    with world.uow(write=True) as uow:
        region = uow.session.exec(select(Region)).first()
        assert region is not None
        other = Region(slug="sn-anderswo", name="Anderswo", state="SN")
        uow.session.add(other)
        uow.session.flush()
        stranger = Organisation(name="Grundschule Anderswo", kind="public_school", region_id=other.id,
                                source="test", source_id="x1")
        land_wide = Organisation(name="Landesjugendamt Anderswo", kind="youth_welfare", region_id=None, land="SN",
                                 source="test", source_id="x2")
        uow.session.add(stranger)
        uow.session.add(land_wide)
        uow.commit()
        stranger_id, land_wide_id = stranger.id, land_wide.id
    with pytest.raises(InvalidInput, match="kein aktives Mitglied"):
        record_analysis(world, NETWORK, [AnalysisInput(str(stranger_id), "conditions", text="fremd")], by="k",
                        at=START + dt.timedelta(days=1))
    assert _count(world, AnalysisEntry) == 0
    names = [row["name"] for row in find_organisations(world, "Anderswo", network=NETWORK)]
    assert names == ["Landesjugendamt Anderswo"]
    with pytest.raises(InvalidInput, match="weder zur Region"):
        add_member_by_slug(world, NETWORK, stranger_id, at=START + dt.timedelta(days=1))
    add_member_by_slug(world, NETWORK, land_wide_id, at=START + dt.timedelta(days=1))
    assert "Landesjugendamt Anderswo" in organisation_ids(world, NETWORK)
