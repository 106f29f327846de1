"""The demo for the templates besides Saxony's (``verbund demo --template KEY``).

Same approach as ``cli/demo.py``: fictional sample networks (``services/demo/sample_templates.py``),
every input through the service layer (which triggers the real stage flows), a simulated clock
with business days of the template's Land. Highlights:

- ``nrw-bildungsnetzwerk``: Kooperationsvertrag, Lenkungskreis, Handlungsfelder by consensus (one
  proposal meets an objection, is not adopted and stays with the previous responsibility), the
  work plan, and **two** annual Regionale Bildungskonferenzen (cycle 1 and cycle 2, a year apart),
  each followed by its Bericht der Bezirkskoordination.
- ``hessen-kooperationsverbund``: the four work areas end in a different order per Verbund.
- ``kommunale-koordinierung``: the agreement names who implements and who checks quality; a
  proposed transfer of a responsibility meets an objection and stays with the partner.
Re-running skips what is done.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prefect.utilities.asyncutils import run_coro_as_sync
from rich.console import Console
from rich.progress import Progress
from sqlmodel import select

from verbund.domain.business_days import BusinessCalendar
from verbund.domain.models import Membership, Network, Organisation
from verbund.domain.process import load_template
from verbund.flows.buildout import network_buildout
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.lookup import network_by_slug
from verbund.services.demo.sample_templates import build_template_sample
from verbund.services.governance.records import Responsibility, decide, record_agreement, record_step, voters
from verbund.services.readmodels.queries import network_overview, status
from verbund.services.stages.lifecycle import add_months, advance_stage

if TYPE_CHECKING:
    from verbund.cli.demo import DemoResult

PROCESS_OWNER = "prozessverantwortung@bezirksregierung-musterberg.example.org"
COORDINATOR = "koordination@bildungsbuero.example.org"

Action = Callable[[App, str, dt.datetime, int], None]


@dataclass
class Step:
    offset: int  # business days after the start (or after ``base`` when given)
    stage: str | None  # run only while this stage is open or ready; None: always
    label: str
    action: Action
    months: int = 0  # move the base date this many months on first


def _orgs(app: App, network: str, *, role: str | None = None, kind: str | None = None) -> list[tuple[str, str]]:
    """(organisation id, name) of the network's members, by name, optionally of one role/kind."""
    with app.uow() as uow:
        query = (
            select(Organisation.id, Organisation.name)
            .join(Membership, Membership.organisation_id == Organisation.id)  # type: ignore[arg-type]
            .join(Network, Network.id == Membership.network_id)  # type: ignore[arg-type]
            .where(Network.slug == network)
        )
        if role:
            query = query.where(Membership.role == role)
        if kind:
            query = query.where(Organisation.kind == kind)
        rows = uow.session.exec(query.order_by(Organisation.name)).all()
    return [(str(oid), name) for oid, name in rows]


def _voters(app: App, network: str, at: dt.datetime) -> dict[str, str]:
    with app.uow() as uow:
        return voters(uow.session, network_by_slug(uow.session, network), at)


def _say(console: Console) -> Callable[[str], None]:
    def say(text: str) -> None:
        console.print(text, highlight=False)
    return say


def _consensus(app: App, network: str, stage: str, at: dt.datetime, say: Callable[[str], None], *,
               title: str, kind: str, objector: int | None = None, reserve: int | None = None,
               proposed: str | None = None, previous: str | None = None) -> None:
    """All voters consent, except the ``objector``-th (objection) and the ``reserve``-th (reservation)."""
    names = _voters(app, network, at)
    entitled = sorted(names, key=lambda oid: names[oid])
    votes = {oid: "consent" for oid in entitled}
    notes = {}
    if reserve is not None:
        votes[entitled[reserve % len(entitled)]] = "reservation"
        notes[entitled[reserve % len(entitled)]] = "Ressourcen im nächsten Haushalt prüfen"
    if objector is not None:
        votes[entitled[objector % len(entitled)]] = "objection"
        notes[entitled[objector % len(entitled)]] = "Zuständigkeit und Finanzierung ungeklärt"
    report = decide(app, network, stage, title=title, kind=kind, votes=votes, proposed=proposed, previous=previous,
                    notes=notes, by=COORDINATOR, at=at)
    verdict = "angenommen" if report.adopted else "[yellow]nicht angenommen[/]"
    say(f"  {network} · Beschluss „{report.title}“ {verdict}: {report.reason}")


def _sign_off(stage: str) -> Action:
    def step(app: App, network: str, at: dt.datetime, index: int) -> None:
        if network_overview(app, network)["stages"].get(stage) == "ready":
            advance_stage(app, network, stage, by=PROCESS_OWNER, at=at)
    return step


def _step(stage: str, step: str, text: str, *more: tuple[str, str]) -> Action:
    """Document ``step`` (and ``more`` steps, an hour apart each) of the stage's open occurrence."""
    def act(app: App, network: str, at: dt.datetime, index: int) -> None:
        for hours, (name, words) in enumerate([(step, text), *more]):
            record_step(app, network, stage, name, text=words, by=COORDINATOR, at=at + dt.timedelta(hours=hours))
    return act


def _reopen(stage: str) -> Action:
    """The daily sweep's job for a recurring stage: reconcile it, which opens the next occurrence."""
    def act(app: App, network: str, at: dt.datetime, index: int) -> None:
        app.trigger(network, stage, at)
    return act


# --- NRW ------------------------------------------------------------------------------------------

def _nrw_steps(say: Callable[[str], None]) -> list[Step]:
    def contract(app: App, network: str, at: dt.datetime, index: int) -> None:
        land = _orgs(app, network, kind="school_authority")[0][0]
        kommune = _orgs(app, network, kind="school_board")[0][0]
        record_agreement(app, network, title="Kooperationsvertrag Land–Kommune", parties=[land, kommune],
                         signed_on=at.date(), by=COORDINATOR, at=at,
                         fields_of_action=["Übergänge gestalten", "Inklusion", "Ganztag"])

    def fields(app: App, network: str, at: dt.datetime, index: int) -> None:
        stage = "handlungsfelder"
        _consensus(app, network, stage, at, say, title="Handlungsfeld Ganztag", kind="field_of_action",
                   objector=2, proposed="Regionales Bildungsbüro", previous="dem Schulträger")
        _consensus(app, network, stage, at, say, title="Handlungsfeld Übergänge gestalten", kind="field_of_action",
                   proposed="Regionales Bildungsbüro", previous="dem Schulträger")
        _consensus(app, network, stage, at, say, title="Handlungsfeld Inklusion", kind="field_of_action",
                   reserve=1, proposed="Regionales Bildungsbüro", previous="der unteren Schulaufsicht")

    def plan(app: App, network: str, at: dt.datetime, index: int) -> None:
        record_step(app, network, "arbeitsplan", "work_plan", text="Arbeitsplan mit Meilensteinen je Handlungsfeld",
                    by=COORDINATOR, at=at)
        _consensus(app, network, "arbeitsplan", at, say, title="Arbeitsplan beschlossen", kind="work_plan")

    def conference(prefix: str, base: int) -> list[Step]:
        stage = "bildungskonferenz"
        return [
            Step(base + 5, stage, f"{prefix}: vorbereitet", _step(stage, "prepared", "Programm und Einladungen")),
            Step(base + 20, stage, f"{prefix}: durchgeführt", _step(stage, "held", "Konferenz mit 120 Teilnehmenden")),
            Step(base + 23, stage, f"{prefix}: dokumentiert, Empfehlungen an den Lenkungskreis",
                 _step(stage, "documented", "Dokumentation veröffentlicht",
                       ("recommendations", "Drei Empfehlungen an den Lenkungskreis"))),
        ]

    return [
        Step(5, "kooperationsvertrag", "Kooperationsvertrag unterzeichnet", contract),
        Step(6, "kooperationsvertrag", "Kooperationsvertrag: Abnahme", _sign_off("kooperationsvertrag")),
        Step(10, "lenkungskreis", "Lenkungskreis konstituiert",
             _step("lenkungskreis", "constituted", "Konstituierende Sitzung mit Geschäftsordnung")),
        Step(15, "handlungsfelder", "Handlungsfelder im Konsens", fields),
        Step(25, "arbeitsplan", "Arbeitsplan des Bildungsbüros", plan),
        *conference("Bildungskonferenz 1", 25),
        Step(55, "bezirksbericht", "Bericht an das Ministerium",
             _step("bezirksbericht", "report", "Bericht der Bezirkskoordination")),
        Step(56, "bezirksbericht", "Bericht: Abnahme", _sign_off("bezirksbericht")),
        # a year after the first conference opened: the sweep opens the second occurrence
        Step(30, None, "Bildungskonferenz 2: ein Jahr später", _reopen("bildungskonferenz"), months=12),
        *conference("Bildungskonferenz 2", 30),
        # the report follows every conference: the second opens when the second conference is done
        Step(55, "bezirksbericht", "Bericht 2 an das Ministerium",
             _step("bezirksbericht", "report", "Bericht der Bezirkskoordination (2. Jahr)")),
        Step(56, "bezirksbericht", "Bericht 2: Abnahme", _sign_off("bezirksbericht")),
    ]


# --- Hessen ---------------------------------------------------------------------------------------

AREAS = ["unterstuetzung", "schulaufsicht", "service", "interne-leistungen"]
SHARED_GOALS = ["Standardisierte Prozesse", "Lernendes Netzwerk", "Austausch", "Gemeinsame Infrastruktur"]


def _hessen_steps(say: Callable[[str], None]) -> list[Step]:
    def agreement(app: App, network: str, at: dt.datetime, index: int) -> None:
        parties = [oid for oid, _ in _orgs(app, network, kind="school_authority")]
        record_agreement(app, network, title="Kooperationsvereinbarung der Schulämter", parties=parties,
                         signed_on=at.date(), by=COORDINATOR, at=at)

    def area(slot: int) -> Action:
        def act(app: App, network: str, at: dt.datetime, index: int) -> None:
            # each Verbund takes the work areas in its own order: no fixed order between them
            name = (AREAS if index % 2 == 0 else AREAS[::-1])[slot]
            if network_overview(app, network)["stages"].get(name) in ("open", "ready"):
                _consensus(app, network, name, at, say, title=f"Zusammenarbeit {name}", kind="work_area",
                           reserve=slot if slot == 1 else None)
        return act

    def goals(app: App, network: str, at: dt.datetime, index: int) -> None:
        stage = "gemeinsame-ziele"
        for number, goal in enumerate(SHARED_GOALS):
            _consensus(app, network, stage, at, say, title=goal, kind="shared_goal",
                       objector=0 if number == 3 else None, proposed="Verbund", previous="den einzelnen Schulämtern")
        _consensus(app, network, stage, at + dt.timedelta(hours=2), say, title=f"{SHARED_GOALS[3]} (2. Lesung)",
                   kind="shared_goal", reserve=0, proposed="Verbund", previous="den einzelnen Schulämtern")

    return [
        Step(5, "verbund", "Kooperationsvereinbarung", agreement),
        Step(6, "verbund", "Verbund: Abnahme", _sign_off("verbund")),
        *[Step(10 + 5 * slot, None, f"Arbeitsbereich {slot + 1} von 4", area(slot)) for slot in range(4)],
        Step(30, "gemeinsame-ziele", "Gemeinsame Ziele im Konsens", goals),
        Step(31, "gemeinsame-ziele", "Gemeinsame Ziele: Abnahme", _sign_off("gemeinsame-ziele")),
    ]


# --- Kommunale Koordinierung ----------------------------------------------------------------------

def _kommunal_steps(say: Callable[[str], None]) -> list[Step]:
    def agreement(app: App, network: str, at: dt.datetime, index: int) -> None:
        guests = {oid for oid, _ in _orgs(app, network, role="guest")}
        parties = [oid for oid, _ in _orgs(app, network) if oid not in guests]
        record_agreement(
            app, network, title="Vereinbarung Übergang Schule–Beruf", parties=parties, signed_on=at.date(),
            by=COORDINATOR, at=at,
            responsibilities=[
                Responsibility("Berufsorientierung ab Klasse 8", "allgemeinbildende Schulen",
                               "Kommunale Koordinierungsstelle"),
                Responsibility("Berufsberatung in den Schulen", "Agentur für Arbeit", "Steuerungsgruppe"),
                Responsibility("Praktikumsplätze", "Kammern und Betriebe", "Kommunale Koordinierungsstelle"),
                Responsibility("Anschlussangebote", "Berufskolleg und Bildungsträger", "Steuerungsgruppe"),
            ],
        )
        _consensus(app, network, "vereinbarung", at, say, title="Praktikumsakquise an den Bildungsträger",
                   kind="responsibility", objector=0, proposed="Bildungsträger", previous="den Kammern und Betrieben")
        _consensus(app, network, "vereinbarung", at, say, title="Vereinbarung beschlossen", kind="agreement",
                   reserve=2)

    return [
        Step(10, "vereinbarung", "Vereinbarung mit Zuständigkeiten", agreement),
        Step(12, "vereinbarung", "Vereinbarung: Abnahme", _sign_off("vereinbarung")),
        Step(30, "umsetzung", "Umsetzungsbericht",
             _step("umsetzung", "implementation", "Umsetzungsbericht 1. Halbjahr")),
        Step(40, "umsetzung", "Qualitätsprüfung", _step("umsetzung", "quality_review", "Qualitätsdialog geführt")),
    ]


STEPS: dict[str, Callable[[Callable[[str], None]], list[Step]]] = {
    "nrw-bildungsnetzwerk": _nrw_steps,
    "hessen-kooperationsverbund": _hessen_steps,
    "kommunale-koordinierung": _kommunal_steps,
}


def run_template_demo(app: App, template: str, *, start: dt.datetime, console: Console) -> DemoResult:
    """Load ``template``'s sample networks and drive them through every stage. Idempotent."""
    from verbund.cli.demo import DemoResult

    process = load_template(template)
    start = start.astimezone(BERLIN)
    clock = ManualClock(start)
    app.clock = clock
    sample = build_template_sample(app, template, at=start)
    result = DemoResult(region=sample.region, networks=sample.networks)
    calendar = BusinessCalendar(process.state)
    say = _say(console)
    steps = STEPS[template](say)
    failures_before = len(getattr(app.trigger, "failures", []))
    base = start.date()
    with Progress(console=console, transient=False) as progress:
        bar = progress.add_task(process.name, total=len(steps) + 1)
        progress.update(bar, description=f"{start:%d.%m.%Y} Aufbau starten ({process.name})")
        for network in sample.networks:
            run_coro_as_sync(network_buildout(network=network, at=start.isoformat()))
        _sweep(app, start)
        progress.advance(bar)
        for step in steps:
            if step.months:
                base = add_months(base, step.months)
            day = calendar.add_business_days(base, step.offset)
            at = dt.datetime.combine(day, dt.time(9, 0), tzinfo=BERLIN)
            if at > clock.now():
                clock.set(at)
            at = clock.now()
            progress.update(bar, description=f"{day:%d.%m.%Y} {step.label}")
            for index, network in enumerate(sample.networks):
                if step.stage is None or network_overview(app, network)["stages"].get(step.stage) in ("open", "ready"):
                    step.action(app, network, at, index)
            _sweep(app, at)
            progress.advance(bar)
    result.failures = list(getattr(app.trigger, "failures", []))[failures_before:]
    for network in status(app)["networks"]:
        if network["slug"] in sample.networks:
            for stage in network["stages"]:
                result.expected += 1
                result.completed += stage["state"] == "completed"
    return result


def _sweep(app: App, at: dt.datetime) -> None:
    """Send through the outbox at the simulated time, as the Saxon demo does."""
    from verbund.services.messaging.outbox import sweep

    sweep(app, at)
