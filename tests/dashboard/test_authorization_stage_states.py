"""Authorization matrix, stage-state dimension (issue 15): every input route — the partner link's forms
and the coordinator's forms on the network page — × every state of the stage it writes to (pending,
open, ready, completed, waived, and a held consultation) gives either acceptance or the German refusal
of the stage gate, never a 500, and a refusal stores nothing.

The expectation is derived from the one rule (``services.stages.stage_gate``), not written per cell:
input is accepted while the stage is open or ready, except that a held consultation is a record.
The world is built once for the module; each cell puts its stage into the state it tests (the stage
run's row, and the consultation/protocol the route needs) and compares a fingerprint of every
domain table before and after a refusal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from dashboard_world import World, build_world, login
from sqlalchemy import text
from sqlmodel import SQLModel, select

with warnings.catch_warnings():  # starlette 1.x asks for httpx2 at import; the client works with httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from verbund.dashboard import create_app
from verbund.domain.models import Contact, Network
from verbund.domain.stages import StageState
from verbund.domain.work import CATEGORY_LABELS, Consultation, ConsultationStatus, Protocol, ProtocolStatus
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.lookup import stage_run
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings
from verbund.services.inputs.links import STAGE_PURPOSE, sign
from verbund.services.inputs.work import PotentialInput, record_potentials

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
HELD = "consultation held"
STATES = ["pending", "open", "ready", "completed", "waived", HELD]
# Tables a request may write without storing input: sessions, login counters, the link key, caches.
NOT_INPUT = {"usersession", "loginthrottle", "appsecret", "dataversion", "alembic_version", "forecastentry"}
# What the stage gate says for each refusing state (services.stages.stage_gate).
REASONS = {"pending": "noch nicht eröffnet", "completed": "abgeschlossen", "waived": "verzichtet",
           HELD: "stattgefunden"}


@dataclass
class Setting:
    app: App
    world: World
    client: TestClient
    network: str
    member: uuid.UUID  # a member organisation
    contact: uuid.UUID  # its contact (partner links)
    potential: uuid.UUID


@pytest.fixture(scope="module")
def setting() -> Iterator[Setting]:
    with tempfile.TemporaryDirectory() as directory:
        app = bootstrap(Settings(database_url=f"sqlite:///{Path(directory) / 'verbund.db'}"),
                        clock=ManualClock(START), trigger=RecordingTrigger())
        world = build_world(app)
        network = world.own[0]
        contact = world.contact_of(network)
        with app.uow() as uow:
            found = uow.session.get(Contact, contact)
            assert found is not None
            member = found.organisation_id
        put(app, network, "potentials", "open")
        record_potentials(app, network, [PotentialInput("communication", "Fallberatung", "", [str(member)])],
                          by="koord@example.org")
        with app.uow() as uow:
            from verbund.domain.work import Potential

            potential = uow.session.exec(select(Potential.id)).first()
            assert potential is not None
        with TestClient(create_app(app), base_url="http://testserver") as client:
            yield Setting(app, world, client, network, member, contact, potential)
        app.engine.dispose()


def put(app: App, network: str, stage: str, state: str) -> None:
    """The stage's current occurrence in ``state`` (a held consultation: open, with the consultation held);
    the consultation scheduled and the protocol drafted or circulated, as the routes need them."""
    now = app.now()
    with app.uow(write=True) as uow:
        session = uow.session
        net = session.exec(select(Network).where(Network.slug == network)).one()
        run = stage_run(session, net, stage)
        run.state = StageState.open if state == HELD else StageState(state)
        run.completed_at = now - dt.timedelta(days=3) if state == "completed" else None
        run.waived_at = now - dt.timedelta(days=3) if state == "waived" else None
        run.waiver_reason = "Test: erlassen" if state == "waived" else None
        run.reopened_at = None
        session.add(run)
        meeting = session.exec(select(Consultation).where(Consultation.network_id == net.id)).first()
        meeting = meeting or Consultation(network_id=net.id, starts_at=now + dt.timedelta(days=7), place="Aula")
        meeting.starts_at = now - dt.timedelta(hours=2)  # begun: it may be held
        meeting.status = ConsultationStatus.held if state == HELD else ConsultationStatus.scheduled
        meeting.held_at = now - dt.timedelta(days=1) if state == HELD else None
        session.add(meeting)
        minutes = session.exec(select(Protocol).where(Protocol.network_id == net.id)).first()
        minutes = minutes or Protocol(network_id=net.id, drafted_by="koord@example.org")
        minutes.status, minutes.body = ProtocolStatus.circulated, "Protokoll der Beratung"
        minutes.objection_deadline = (now + dt.timedelta(days=10)).date()
        minutes.circulated_at = now
        session.add(minutes)
        uow.commit()


def fingerprint(app: App) -> str:
    """A hash of every row of every domain table that holds input."""
    digest = hashlib.sha256()
    with app.engine.connect() as connection:
        for table in sorted(SQLModel.metadata.tables):
            if table in NOT_INPUT:
                continue
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            digest.update(table.encode() + repr(sorted(map(repr, rows))).encode())
    return digest.hexdigest()


Form = Callable[[Setting], dict[str, str]]


@dataclass(frozen=True)
class Route:
    door: str  # "partner" (the link's form) or an action name of the network page
    stage: str
    form: Form
    certain: bool = True  # a valid form: accepted whenever the stage accepts input
    own: str | None = None  # the route's own refusal, given before the stage's (German as well)


def _unique(_s: Setting) -> str:
    return uuid.uuid4().hex[:8]


ROUTES: dict[str, Route] = {
    "partner: analysis answers": Route("partner", "analysis", lambda s: {
        "was": "analyse", f"text-{next(iter(CATEGORY_LABELS))}": f"Antwort {_unique(s)}"}),
    "partner: potential": Route("partner", "potentials", lambda s: {
        "was": "potenzial", "area": "communication", "title": f"Potenzial {_unique(s)}", "description": "…"}),
    "partner: RSVP": Route("partner", "consultation", lambda s: {"was": "zusage", "attending": "1",
                                                                 "represented_by": f"Frau {_unique(s)}"}),
    "partner: objection": Route("partner", "protocol", lambda s: {"was": "einspruch",
                                                                  "text": f"Einspruch {_unique(s)}"}),
    "coordinator: analysis": Route("analyse", "analysis", lambda s: {
        "organisation_id": str(s.member), "category": next(iter(CATEGORY_LABELS)), "text": f"Eintrag {_unique(s)}"}),
    "coordinator: potential": Route("potenzial", "potentials", lambda s: {
        "area": "communication", "title": f"Potenzial {_unique(s)}", "organisation_id": str(s.member)}),
    "coordinator: goal": Route("ziel", "goals", lambda s: {"title": f"Ziel {_unique(s)}",
                                                           "potential": str(s.potential)}, certain=False),
    "coordinator: schedule consultation": Route("beratung-ansetzen", "consultation", lambda s: {
        "starts_at": "20.09.2019 14:00", "place": f"Raum {_unique(s)}"}),
    "coordinator: invitations sent": Route("einladungen-versandt", "consultation", lambda s: {}),
    "coordinator: hold consultation": Route("beratung-abhalten", "consultation", lambda s: {
        f"member-{s.member}": "1", f"present-{s.member}": "1", "decisions": f"Beschluss {_unique(s)}"}),
    "coordinator: cancel consultation": Route("beratung-absagen", "consultation", lambda s: {
        "reason": f"Grund {_unique(s)}"}, own="abgehaltene Beratung kann nicht abgesagt werden"),
    "coordinator: protocol draft": Route("protokoll-entwurf", "protocol", lambda s: {"body": f"Text {_unique(s)}"},
                                         certain=False),
    "coordinator: resolve objections": Route("einsprueche-erledigt", "protocol", lambda s: {
        "resolution": f"Lösung {_unique(s)}"}, certain=False),
    "coordinator: recommendations": Route("empfehlungen", "protocol", lambda s: {"titles": f"Empfehlung {_unique(s)}"},
                                          certain=False),
    "coordinator: open a decision": Route("beschluss-eroeffnen", "potentials", lambda s: {
        "stage": "potentials", "title": f"Beschluss {_unique(s)}"}, certain=False),
    # the Saxon template documents no steps: refused for that first, in every state
    "coordinator: document a step": Route("schritt", "potentials", lambda s: {
        "stage": "potentials", "step": f"Schritt {_unique(s)}"}, certain=False, own="dokumentiert keine Schritte"),
}


def accepts(route: Route, state: str) -> bool:
    """The stage gate's rule: open or ready, and a held consultation is a record."""
    return state in ("open", "ready") and not (state == HELD and route.stage == "consultation")


def post(s: Setting, route: Route) -> Any:
    if route.door == "partner":
        token = sign(s.app, s.contact, s.network, route.stage, STAGE_PURPOSE[route.stage])
        page = s.client.get(f"/eingabe/{s.network}/{route.stage}?t={token}")
        assert page.status_code == 200, page.text
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        return s.client.post(f"/eingabe/{s.network}/{route.stage}", data={"t": token, "csrf": csrf, **route.form(s)},
                             follow_redirects=False)
    csrf = login(s.client, s.world.users["coordinator"])
    return s.client.post(f"/verbund/{s.network}/aktion/{route.door}", data={"csrf": csrf, **route.form(s)},
                         follow_redirects=False)


def outcome(response: Any) -> tuple[str | None, str | None]:
    """(notice, error) of a redirect back to the form."""
    assert response.status_code == 303, (response.status_code, response.text[:300])
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return (query.get("meldung") or [None])[0], (query.get("fehler") or [None])[0]


CELLS = [(name, state) for name in ROUTES for state in STATES
         if state != HELD or ROUTES[name].stage == "consultation"]


@pytest.mark.parametrize(("name", "state"), CELLS)
def test_input_follows_the_stage_state_at_every_door(setting: Setting, name: str, state: str) -> None:
    route = ROUTES[name]
    put(setting.app, setting.network, route.stage, state)
    before = fingerprint(setting.app)
    response = post(setting, route)
    assert response.status_code != 500
    notice, error = outcome(response)
    if accepts(route, state):
        if route.certain:
            assert error is None and notice, (name, state, error)
        return
    assert error is not None, (name, state, notice)
    assert REASONS[state] in error or (route.own is not None and route.own in error), (name, state, error)
    assert "Traceback" not in error
    assert fingerprint(setting.app) == before, (name, state, "a refusal stored something")


@pytest.mark.parametrize("name", ["partner: analysis answers", "coordinator: potential"])
def test_a_nul_byte_in_any_form_is_refused_alike_on_every_backend(setting: Setting, name: str) -> None:
    """PostgreSQL refuses a NUL byte (DataError) where SQLite would store it: every form refuses it first."""
    route = ROUTES[name]
    put(setting.app, setting.network, route.stage, "open")
    before = fingerprint(setting.app)
    original = route.form
    poisoned = Route(route.door, route.stage, lambda s: {k: v + "\x00" if k not in ("was", "area") else v
                                                          for k, v in original(s).items()})
    response = post(setting, poisoned)
    assert response.status_code == 400 and "NUL-Zeichen" in response.text
    assert fingerprint(setting.app) == before
