"""The demo: the sample region driven through all five Saxon stages on a simulated clock.

Every partner input and coordinator action goes through the service layer, which triggers the
real stage flows; the region build-out flow starts it. Dates are fixed (from 2019-09-02 unless
``VERBUND_NOW`` says otherwise), so runs are reproducible. Re-running skips what is done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from prefect.utilities.asyncutils import run_coro_as_sync
from rich.console import Console
from rich.progress import Progress
from sqlmodel import select

from verbund.domain.business_days import BusinessCalendar
from verbund.domain.errors import InvalidInput
from verbund.domain.models import Membership, MembershipRole, Network, Organisation
from verbund.domain.work import AnalysisCategory, Consultation, Protocol
from verbund.flows.buildout import network_buildout, region_buildout
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.demo.sample import TEMPLATE, build_sample_region
from verbund.services.inputs import consultation as meeting
from verbund.services.inputs import protocol as minutes
from verbund.services.inputs.work import (
    AnalysisInput,
    GoalInput,
    PotentialInput,
    record_analysis,
    record_goals,
    record_potentials,
)
from verbund.services.readmodels.queries import network_overview, status
from verbund.services.stages.lifecycle import advance_stage

DEMO_START = dt.datetime(2019, 9, 2, 8, 0, tzinfo=BERLIN)
PROCESS_OWNER = "prozessverantwortung@lasub-muldenland.example.org"
COORDINATOR = "koordination@lasub-muldenland.example.org"


@dataclass
class DemoResult:
    region: str
    networks: list[str]
    completed: int = 0
    expected: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.completed == self.expected and not self.failures


def _members(app: App, network: str) -> list[tuple[str, str, str]]:
    """(organisation id, name, kind) of the network's members, guests excluded, by name."""
    with app.uow() as uow:
        rows = uow.session.exec(
            select(Organisation.id, Organisation.name, Organisation.kind)
            .join(Membership, Membership.organisation_id == Organisation.id)  # type: ignore[arg-type]
            .join(Network, Network.id == Membership.network_id)  # type: ignore[arg-type]
            .where(Network.slug == network, Membership.role != MembershipRole.guest)
            .order_by(Organisation.name)
        ).all()
    return [(str(oid), name, kind) for oid, name, kind in rows]


def _analysis_wave(app: App, network: str, wave: int, at: dt.datetime) -> None:
    members = _members(app, network)
    entries = []
    for index, (oid, name, kind) in enumerate(members):
        if index % 3 != wave:
            continue
        for category in AnalysisCategory:
            if kind == "student_transport" and category is AnalysisCategory.cooperation_structures:
                entries.append(AnalysisInput(oid, category, no_information=True,
                                             reason="Keine eigenen Kooperationsstrukturen; Beförderung nach Satzung"))
            else:
                text = f"{name}: Angaben zu {category.value} (Stand {at:%d.%m.%Y})"
                entries.append(AnalysisInput(oid, category, text=text))
    record_analysis(app, network, entries, by="partner-eingabe", at=at)


def _potentials(app: App, network: str, at: dt.datetime) -> None:
    members = _members(app, network)
    by_kind = {kind: oid for oid, _name, kind in members}
    schools = [oid for oid, _name, kind in members if kind == "public_school"]
    items = [
        PotentialInput("communication", "Gemeinsame Informationsplattform", "Termine und Ansprechpersonen an einem Ort",
                       [schools[0], by_kind["school_board"]]),
        PotentialInput("communication", "Regelmäßige Fallberatung", "Schule und Jugendhilfe beraten gemeinsam",
                       [by_kind["youth_welfare"], schools[1]]),
        PotentialInput("special_offers", "Förderpädagogische Beratung vor Ort", "Förderschulen beraten Grundschulen",
                       [schools[-1]]),
        PotentialInput("process_steering", "Abgestimmte Schülerbeförderung",
                       "Fahrpläne und Unterrichtszeiten abstimmen",
                       [by_kind["student_transport"], by_kind["school_board"]]),
        PotentialInput("process_steering", "Übergang Kita–Grundschule", "Gemeinsames Übergangsverfahren",
                       [by_kind.get("daycare", schools[0]), schools[0]]),
    ]
    record_potentials(app, network, items, by=COORDINATOR, at=at)


def _goals(app: App, network: str, at: dt.datetime) -> None:
    members = _members(app, network)
    by_kind = {kind: oid for oid, _name, kind in members}
    target = dt.date(at.year + 1, 7, 31)
    items = [
        GoalInput("Informationsplattform eingerichtet", ["Gemeinsame Informationsplattform"], "design",
                  by_kind["school_board"], "Plattform online, alle Partner eingetragen", target),
        GoalInput("Fallberatung etabliert", ["Regelmäßige Fallberatung", "Förderpädagogische Beratung vor Ort"],
                  "development", by_kind["youth_welfare"], "monatliche Fallberatung mit Protokoll", target),
        GoalInput("Übergänge abgestimmt", ["Übergang Kita–Grundschule", "Abgestimmte Schülerbeförderung"],
                  "development", by_kind["student_transport"], "Verfahren beschlossen und veröffentlicht", target),
    ]
    record_goals(app, network, items, by=COORDINATOR, at=at)


def _consultation_row(app: App, network: str) -> Consultation | None:
    with app.uow() as uow:
        return uow.session.exec(
            select(Consultation).join(Network, Network.id == Consultation.network_id)  # type: ignore[arg-type]
            .where(Network.slug == network)
        ).first()


def _protocol_row(app: App, network: str) -> Protocol | None:
    with app.uow() as uow:
        return uow.session.exec(
            select(Protocol).join(Network, Network.id == Protocol.network_id)  # type: ignore[arg-type]
            .where(Network.slug == network)
        ).first()


def _schedule(app: App, network: str, at: dt.datetime, meeting_day: dt.date, index: int) -> None:
    if _consultation_row(app, network) is None:
        starts = dt.datetime.combine(meeting_day, dt.time(10 + index % 3, 0), tzinfo=BERLIN)
        meeting.schedule_consultation(app, network, starts_at=starts, place=f"Landratsamt, Saal {index + 1}",
                                      by=COORDINATOR, at=at)
    row = _consultation_row(app, network)
    if row is not None and row.invitations_sent_at is None:
        meeting.record_invitations_sent(app, network, by=COORDINATOR, at=at)


# --- notifications (issue 3): the coordinator moves the consultation by an hour and invites again,
# so partners receive an updated .ics (consultation_changed) ---
def _move(app: App, network: str, at: dt.datetime) -> None:
    row = _consultation_row(app, network)
    if row is None or row.sequence > 0 or row.status != "scheduled":
        return
    meeting.schedule_consultation(app, network, starts_at=row.starts_at + dt.timedelta(hours=1), place=row.place,
                                  by=COORDINATOR, at=at)
    meeting.record_invitations_sent(app, network, by=COORDINATOR, at=at)


def _sweep(app: App, at: dt.datetime) -> None:
    """Send through the outbox at the simulated time (a service call, no extra flow runs)."""
    from verbund.services.messaging.outbox import sweep

    sweep(app, at)
# --- end notifications ---


def _hold(app: App, network: str, at: dt.datetime) -> None:
    row = _consultation_row(app, network)
    if row is None or row.held_at is not None:
        return
    members = _members(app, network)
    attendance = [
        meeting.AttendanceInput(oid, present=(kind != "public_school" or index % 4 != 3))
        for index, (oid, _name, kind) in enumerate(members)
    ]
    held = meeting.HoldInput(attendance, ["Ziele bestätigt", "Koordinierungsgruppe eingesetzt"])
    meeting.hold_consultation(app, network, held, by=COORDINATOR, at=max(at, row.starts_at + dt.timedelta(hours=2)))


def _circulate(app: App, network: str, at: dt.datetime) -> None:
    row = _protocol_row(app, network)
    if row is None:
        body = (f"Protokoll der konstituierenden Beratung des Verbunds {network}.\n"
                "1. Ziele bestätigt. 2. Koordinierungsgruppe eingesetzt. 3. Empfehlungen beschlossen.")
        minutes.draft_protocol(app, network, body=body, by=COORDINATOR, at=at)
        row = _protocol_row(app, network)
    if row is not None and row.status == "draft":
        minutes.circulate_protocol(app, network, objection_business_days=10, by=COORDINATOR, at=at)


def _object(app: App, network: str, at: dt.datetime, index: int) -> None:
    row = _protocol_row(app, network)
    if index == 0 and row is not None and row.status == "circulated":
        oid = _members(app, network)[0][0]
        minutes.object_to_protocol(app, network, organisation_id=oid,
                                   text="Bitte die Anwesenheit unserer Vertretung ergänzen.", at=at)
        minutes.resolve_objections(app, network, resolution="Anwesenheitsliste ergänzt", by=COORDINATOR,
                                   at=at + dt.timedelta(hours=4))


def _finish_protocol(app: App, network: str, at: dt.datetime) -> None:
    row = _protocol_row(app, network)
    if row is not None and row.status == "circulated":
        minutes.approve_protocol(app, network, by=PROCESS_OWNER, at=at)
    row = _protocol_row(app, network)
    if row is not None and row.status == "approved":
        minutes.publish_protocol(app, network, by=COORDINATOR, at=at + dt.timedelta(hours=1))
    minutes.record_recommendations(
        app, network,
        ["Fallberatung verstetigen", "Übergangsverfahren jährlich prüfen", "Fortbildung Inklusion anbieten"],
        by=COORDINATOR, due=dt.date(at.year + 1, 6, 30), at=at + dt.timedelta(hours=2),
    )


def _sign_off(stage: str) -> Callable[[App, str, dt.datetime], None]:
    def step(app: App, network: str, at: dt.datetime) -> None:
        if network_overview(app, network)["stages"].get(stage) == "ready":
            advance_stage(app, network, stage, by=PROCESS_OWNER, at=at)
    return step


Step = tuple[int, str, str, Callable[[App, str, dt.datetime, int], None]]


def _steps(calendar: BusinessCalendar, start: dt.date) -> list[Step]:
    """(business-day offset, stage, label, action) in the order they happen."""
    meeting_day = calendar.add_business_days(start, 45)
    return [
        (5, "analysis", "Analyse: erste Rückmeldungen", lambda a, n, t, i: _analysis_wave(a, n, 0, t)),
        (10, "analysis", "Analyse: zweite Rückmeldungen", lambda a, n, t, i: _analysis_wave(a, n, 1, t)),
        (15, "analysis", "Analyse: letzte Rückmeldungen", lambda a, n, t, i: _analysis_wave(a, n, 2, t)),
        (16, "analysis", "Analyse: Abnahme", lambda a, n, t, i: _sign_off("analysis")(a, n, t)),
        (20, "potentials", "Potenziale erfasst", lambda a, n, t, i: _potentials(a, n, t)),
        (28, "goals", "Ziele abgeleitet", lambda a, n, t, i: _goals(a, n, t)),
        (30, "consultation", "Beratung angesetzt, Einladungen", lambda a, n, t, i: _schedule(a, n, t, meeting_day, i)),
        (33, "consultation", "Beratung verlegt, neue Einladung", lambda a, n, t, i: _move(a, n, t)),  # issue 3
        (45, "consultation", "Konstituierende Beratung", lambda a, n, t, i: _hold(a, n, t)),
        (47, "protocol", "Protokoll versandt", lambda a, n, t, i: _circulate(a, n, t)),
        (50, "protocol", "Einspruch und Klärung", lambda a, n, t, i: _object(a, n, t, i)),
        (58, "protocol", "Protokoll genehmigt und veröffentlicht", lambda a, n, t, i: _finish_protocol(a, n, t)),
        (59, "protocol", "Protokoll: Abnahme", lambda a, n, t, i: _sign_off("protocol")(a, n, t)),
    ]


def run_demo(
    app: App, *, start: dt.datetime | None = None, console: Console | None = None, template: str = TEMPLATE,
    networks: Sequence[str] | None = None,
) -> DemoResult:
    """Load the sample region and drive every network through all stages. Idempotent.

    ``template`` other than Saxony's runs that template's demo (``cli/demo_templates.py``, issue 8).
    ``networks`` (Saxon demo only): drive just these of the sample's networks; the others stay
    pending (a one-network build-out, as the crash series uses it).
    """
    console = console or Console()
    start = (start or DEMO_START).astimezone(BERLIN)
    if template != TEMPLATE:
        from verbund.cli.demo_templates import run_template_demo

        return run_template_demo(app, template, start=start, console=console)
    clock = ManualClock(start)
    app.clock = clock
    sample = build_sample_region(app, at=start)
    chosen = _chosen(sample.networks, networks)
    result = DemoResult(region=sample.region, networks=chosen)
    calendar = BusinessCalendar("SN")
    steps = _steps(calendar, start.date())
    failures_before = len(getattr(app.trigger, "failures", []))
    with Progress(console=console, transient=False) as progress:
        bar = progress.add_task("Aufbau der Kooperationsverbünde", total=len(steps) + 1)
        progress.update(bar, description=f"{start:%d.%m.%Y} Aufbau starten (Region {sample.region})")
        if chosen == sample.networks:
            run_coro_as_sync(region_buildout(region=sample.region, at=start.isoformat()))
        for network in [n for n in chosen if chosen != sample.networks]:
            run_coro_as_sync(network_buildout(network=network, at=start.isoformat()))
        _sweep(app, start)  # issue 3: notifications
        progress.advance(bar)
        for offset, stage, label, action in steps:
            day = calendar.add_business_days(start.date(), offset)
            at = dt.datetime.combine(day, dt.time(9, 0), tzinfo=BERLIN)
            clock.set(at)
            progress.update(bar, description=f"{day:%d.%m.%Y} {label}")
            for index, network in enumerate(sample.networks):
                if network in chosen and network_overview(app, network)["stages"].get(stage) in ("open", "ready"):
                    action(app, network, at, index)
            _sweep(app, at)  # issue 3: notifications
            progress.advance(bar)
    result.failures = list(getattr(app.trigger, "failures", []))[failures_before:]
    for network in status(app, region=sample.region)["networks"]:
        if network["slug"] not in chosen:
            continue
        for stage in network["stages"]:
            result.expected += 1
            result.completed += stage["state"] == "completed"
    return result


def _chosen(sample: list[str], wanted: Sequence[str] | None) -> list[str]:
    """The sample's networks to drive (all without ``wanted``); an unknown slug is named."""
    if not wanted:
        return list(sample)
    unknown = [slug for slug in wanted if slug not in sample]
    if unknown:
        raise InvalidInput(f"--network: {', '.join(unknown)} ist kein Verbund der Beispielregion "
                           f"(bekannt: {', '.join(sample)})")
    return [slug for slug in sample if slug in wanted]
