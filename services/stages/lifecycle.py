"""Stage use cases: reconcile a network's stage, advance it, waive it, show it.

``reconcile_stage`` is what a stage flow runs: idempotent, it opens the stage when its
prerequisites (the template's ``after``; by default the stage before) are done, moves it to
``ready`` when the exit criteria are met, completes it when the template needs no sign-off, and
moves it back to ``open`` when criteria are lost. Running it twice changes nothing the second time.

A recurring stage (``recurs_every_months``) has one ``StageRun`` per occurrence (``cycle``): when
the latest occurrence is done and its anniversary has come, reconcile creates the next occurrence
and opens it; ``advance`` opens it at once (a coordinator brings the next occurrence forward).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session

from verbund.domain.business_days import BusinessCalendar
from verbund.domain.criteria import sections_for, unmet_criteria
from verbund.domain.errors import IllegalTransition, InvalidInput
from verbund.domain.ferien import stage_due
from verbund.domain.models import Network
from verbund.domain.process import ProcessTemplate, StageTemplate
from verbund.domain.stages import SYSTEM_ACTOR, AuditEvent, StageRun, StageState
from verbund.services.access.actor_refs import named
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import local_date
from verbund.services.app.ferien import Calendars
from verbund.services.app.lookup import (
    ensure_stage_runs,
    network_by_slug,
    region_of,
    stage_run,
    stage_runs,
    template_of,
)
from verbund.services.app.usecase import Change, change
from verbund.services.stages import facts as facts_loader
from verbund.services.stages.triggers import seen, settle


class Outcome:
    """Names of the flows' final states (what happened to the stage)."""

    waiting_for_previous = "WaitingForPreviousStage"
    awaiting_partners = "AwaitingPartners"
    awaiting_sign_off = "AwaitingSignOff"
    completed = "StageCompleted"
    waived = "StageWaived"


@dataclass
class StageReport:
    """A stage's state after a use case, as plain values (safe to pass to and from flows)."""

    network: str
    region: str
    stage: str
    cycle: int
    state: str
    outcome: str
    due: str | None = None
    unmet: list[str] = field(default_factory=list)
    transitions: list[str] = field(default_factory=list)
    next_stage: str | None = None
    next_stages: list[str] = field(default_factory=list)
    next_cycle_opens: str | None = None
    title: str = ""  # the template's German name of the stage

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _unmet(
    session: Session, network: Network, state: str, stage: StageTemplate, at: dt.datetime, cycle: int = 1
) -> list[str]:
    facts = facts_loader.load_facts(session, network, state, at, sections_for(stage), stage=stage.name, cycle=cycle)
    return unmet_criteria(stage, facts)


def _done_once(session: Session, network: Network, stage: str) -> bool:
    """Whether any occurrence of the stage is completed or waived."""
    return any(run.is_done for run in stage_runs(session, network.id) if run.stage == stage)


def _follows(template: ProcessTemplate, stage: str) -> list[str]:
    """The recurring prerequisites a recurring stage follows cycle by cycle (NRW: the report after
    each Bildungskonferenz): its occurrence N needs their occurrence N done."""
    if not template.stage(stage).recurring:
        return []
    return [before.name for before in template.prerequisites(stage) if before.recurring]


def _predecessor_done(
    session: Session, network: Network, template: ProcessTemplate, stage: str, cycle: int = 1
) -> bool:
    """Whether every prerequisite of the stage is done (a recurring one: at least once; one that the
    stage follows: its occurrence ``cycle``)."""
    followed = _follows(template, stage)
    done = {(run.stage, run.cycle) for run in stage_runs(session, network.id) if run.is_done}
    return all(
        any(name == before.name and (before.name not in followed or number >= cycle) for name, number in done)
        for before in template.prerequisites(stage)
    )


def stages_under_way(session: Session, network: Network) -> list[str]:
    """Stages whose latest occurrence is open or ready, or pending with every prerequisite done:
    what a build-out or a new input should reconcile (several at once where the order is free)."""
    template = template_of(network)
    runs = stage_runs(session, network.id)
    latest = {run.stage: run for run in runs}
    done_once = {run.stage for run in runs if run.is_done}
    names = []
    for stage in template.stages:
        run = latest.get(stage.name)
        active = run is None or run.state in (StageState.open, StageState.ready)
        startable = run is not None and run.state == StageState.pending and set(stage.after) <= done_once
        if active or startable:
            names.append(stage.name)
    return names


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_cycle_opens(stage: StageTemplate, run: StageRun) -> dt.date | None:
    """When the occurrence after ``run`` of a recurring stage opens (None: not recurring / not done)."""
    if stage.recurs_every_months is None or not run.is_done:
        return None
    began = run.opened_at or run.waived_at or run.changed_at
    if began is None:  # pragma: no cover - a done run has changed
        return None
    return add_months(local_date(began), stage.recurs_every_months)


def _next_cycle(session: Session, run: StageRun) -> StageRun:
    following = StageRun(network_id=run.network_id, stage=run.stage, cycle=run.cycle + 1, position=run.position)
    session.add(following)
    session.flush()
    return following


def _pending_successors(session: Session, network: Network, template: ProcessTemplate, stage: str) -> list[str]:
    """Successors not done yet, and those following ``stage`` cycle by cycle that are behind it."""
    latest = {run.stage: run for run in stage_runs(session, network.id)}
    cycle = latest[stage].cycle if stage in latest else 1
    return [s.name for s in template.successors(stage) if s.name not in latest or not latest[s.name].is_done
            or (stage in _follows(template, s.name) and latest[s.name].cycle < cycle)]


def _due(session: Session, state: str, at: dt.datetime, stage: StageTemplate) -> dt.date:
    """Business days in the Land's calendar; a stage that waits for schools also avoids the Schulferien."""
    holidays = Calendars(session)(state) if stage.waits_for_schools else None
    return stage_due(BusinessCalendar(state), holidays, local_date(at), stage.due_business_days)


def _apply(session: Session, run: StageRun, event: AuditEvent, log: list[str]) -> None:
    session.add(run)
    session.add(event)
    log.append(f"{event.from_state}→{event.to_state}")


def reconcile_in(session: Session, app: App, network: Network, stage_name: str, at: dt.datetime) -> StageReport:
    """The reconcile step inside an open session (the caller commits)."""
    template = template_of(network)
    stage = template.stage(stage_name)
    region = region_of(session, network)
    ensure_stage_runs(session, network)
    session.flush()
    run = stage_run(session, network, stage_name, lock=True)
    at = replay_instant(run, at)
    triggers = seen(session, network, stage_name, at)
    recorded = app.wall_time()
    log: list[str] = []
    unmet: list[str] = []
    outcome = ""
    while not outcome:
        state = StageState(run.state)
        opens = next_cycle_opens(stage, run)
        caught_up = run.is_done and bool(_follows(template, stage_name)) and _predecessor_done(
            session, network, template, stage_name, run.cycle + 1)  # what it follows is a cycle ahead
        if (opens is not None and local_date(at) >= opens) or caught_up:
            run = _next_cycle(session, run)
            continue
        if state is StageState.pending:
            if not _predecessor_done(session, network, template, stage_name, run.cycle):
                outcome = Outcome.waiting_for_previous
                continue
            due = _due(session, region.state, at, stage)
            _apply(session, run, run.transition(StageState.open, at=at, recorded_at=recorded, due=due), log)
        elif state is StageState.open:
            unmet = _unmet(session, network, region.state, stage, at, run.cycle)
            if unmet:
                outcome = Outcome.awaiting_partners
                continue
            _apply(session, run, run.transition(StageState.ready, at=at, recorded_at=recorded), log)
        elif state is StageState.ready:
            unmet = _unmet(session, network, region.state, stage, at, run.cycle)
            if unmet:
                event = run.transition(StageState.open, at=at, recorded_at=recorded, unmet=unmet)
                _apply(session, run, event, log)
                outcome = Outcome.awaiting_partners
            elif stage.sign_off or run.reopened_at is not None:  # a reopened stage is signed off again
                outcome = Outcome.awaiting_sign_off
            else:
                _apply(session, run, run.transition(StageState.completed, at=at, recorded_at=recorded), log)
        else:
            outcome = Outcome.completed if state is StageState.completed else Outcome.waived
    following = _pending_successors(session, network, template, stage_name) if run.is_done else []
    settle(session, triggers)
    return _report(network, region.slug, run, outcome, unmet, log, template, following)


def replay_instant(run: StageRun, at: dt.datetime) -> dt.datetime:
    """The instant a reconcile works at: ``at``, or the stage's last transition when ``at`` lies
    before it. A reconcile never rewrites history: a trigger from before the last transition (a
    re-run replaying its script, a swept trigger, a back-filled input) is evaluated as of the last
    transition, which already saw everything up to then (docs/decisions.md, "Re-runs")."""
    return max(at, run.changed_at) if run.changed_at is not None else at


def _report(
    network: Network, region: str, run: StageRun, outcome: str, unmet: list[str],
    log: list[str], template: ProcessTemplate, following: list[str] | None = None,
) -> StageReport:
    if following is None:
        following = [s.name for s in template.successors(run.stage)] if run.is_done else []
    opens = next_cycle_opens(template.stage(run.stage), run)
    return StageReport(
        network=network.slug,
        region=region,
        stage=run.stage,
        cycle=run.cycle,
        state=StageState(run.state).value,
        outcome=outcome,
        due=run.due.isoformat() if run.due else None,
        unmet=unmet,
        transitions=log,
        next_stage=following[0] if following else None,
        next_stages=following,
        next_cycle_opens=opens.isoformat() if opens else None,
        title=template.stage(run.stage).title,
    )


def reconcile_stage(app: App, network_slug: str, stage: str, at: dt.datetime | None = None) -> StageReport:
    """Bring one network's stage up to date with its facts (idempotent)."""
    at = at or app.now()
    with app.uow(write=True) as uow:
        network = network_by_slug(uow.session, network_slug)
        report = reconcile_in(uow.session, app, network, stage, at)
        uow.commit()
    return report


def show_stage(app: App, network_slug: str, stage_name: str, at: dt.datetime | None = None) -> dict[str, Any]:
    """The stage's state, dates, unmet criteria and audit trail."""
    from sqlmodel import col, select

    at = at or app.now()
    with app.uow() as uow:
        session = uow.session
        network = network_by_slug(session, network_slug)
        template = template_of(network)
        stage = template.stage(stage_name)
        run = stage_run(session, network, stage_name)
        region = region_of(session, network)
        unmet = _unmet(session, network, region.state, stage, at, run.cycle) if not run.is_done else []
        occurrences = [r for r in stage_runs(session, network.id) if r.stage == stage_name]
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.network_id == network.id, AuditEvent.stage == stage_name)
            .order_by(col(AuditEvent.at), col(AuditEvent.recorded_at))
        ).all()
        actors = named(session, events, "actor")
        return {
            "network": network.slug,
            "network_name": network.name,
            "stage": stage.name,
            "title": stage.title,
            "cycle": run.cycle,
            "state": run.state,
            "due": run.due.isoformat() if run.due else None,
            "opened_at": _iso(run.opened_at),
            "completed_at": _iso(run.completed_at),
            "waiver_reason": run.waiver_reason,
            "reopened_at": _iso(run.reopened_at),
            "sign_off": stage.sign_off,
            "unmet": unmet,
            "events": [
                {"at": _iso(e.at), "actor": actor, "entity": e.entity, "action": e.action, "from": e.from_state,
                 "to": e.to_state, "reason": e.reason, "cycle": e.cycle}
                for e, actor in zip(events, actors, strict=True)
            ],
            "recurring": stage.recurring,
            "after": list(stage.after),
            "cycles": [
                {"cycle": r.cycle, "state": r.state, "due": r.due.isoformat() if r.due else None,
                 "completed_at": _iso(r.completed_at)}
                for r in occurrences
            ],
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def advance_stage(
    app: App, network_slug: str, stage_name: str, *, by: str | None = None, at: dt.datetime | None = None
) -> StageReport:
    """Make the one next legal transition of the stage, or raise ``IllegalTransition`` saying why.

    pending → open (predecessor done), open → ready (criteria met), ready → completed (sign-off).
    """
    actor = by or SYSTEM_ACTOR
    with change(app, at) as work:
        session, at = work.session, work.at
        network = network_by_slug(session, network_slug)
        template = template_of(network)
        stage = template.stage(stage_name)
        region = region_of(session, network)
        run = stage_run(session, network, stage_name, lock=True)
        if stage.recurring and run.is_done:  # bring the next occurrence forward
            run = _next_cycle(session, run)
        state = StageState(run.state)
        recorded = app.wall_time()
        log: list[str] = []
        if state is StageState.pending:
            due = _due(session, region.state, at, stage)
            done = _predecessor_done(session, network, template, stage_name, run.cycle)
            event = run.transition(StageState.open, at=at, recorded_at=recorded, actor=actor,
                                   predecessors_done=done, due=due)
        elif state in (StageState.open, StageState.ready):
            target = StageState.ready if state is StageState.open else StageState.completed
            if target is StageState.completed and (stage.sign_off or run.reopened_at) and actor == SYSTEM_ACTOR:
                raise IllegalTransition(stage_name, state.value, target.value,
                                        why="die Abnahme braucht die verantwortliche Person (--by E-MAIL)")
            unmet = _unmet(session, network, region.state, stage, at, run.cycle)
            event = run.transition(target, at=at, recorded_at=recorded, actor=actor, unmet=unmet)
        else:
            raise IllegalTransition(stage_name, state.value, "—", why="die Stufe ist bereits beendet")
        _apply(session, run, event, log)
        following = _pending_successors(session, network, template, stage_name) if run.is_done else []
        report = _report(network, region.slug, run, run.state, [], log, template, following)
        _touch_after(work, report)
    return report


def waive_stage(
    app: App, network_slug: str, stage_name: str, *, reason: str, by: str, at: dt.datetime | None = None
) -> StageReport:
    """Waive a stage with a reason, by a process owner; audited."""
    if not (reason or "").strip():
        raise InvalidInput("--reason: ein Verzicht braucht eine Begründung")
    if not (by or "").strip():
        raise InvalidInput("--by: ein Verzicht braucht die E-Mail-Adresse der Prozessverantwortlichen")
    with change(app, at) as work:
        session, at = work.session, work.at
        network = network_by_slug(session, network_slug)
        template = template_of(network)
        run = stage_run(session, network, stage_name, lock=True)
        event = run.transition(StageState.waived, at=at, recorded_at=app.wall_time(), actor=by.strip(),
                               reason=reason.strip())
        log: list[str] = []
        _apply(session, run, event, log)
        following = _pending_successors(session, network, template, stage_name)
        report = _report(network, region_of(session, network).slug, run, Outcome.waived, [], log, template, following)
        _touch_after(work, report)
    return report


def reopen_stage(
    app: App, network_slug: str, stage_name: str, *, reason: str, by: str, at: dt.datetime | None = None
) -> StageReport:
    """Reopen a completed or waived stage for a correction: a process owner, with a reason; audited.

    The stage's flow runs again; the stage accepts input and waits for a new sign-off.
    """
    if not (reason or "").strip():
        raise InvalidInput("--reason: eine Wiedereröffnung braucht eine Begründung")
    if not (by or "").strip():
        raise InvalidInput("--by: eine Wiedereröffnung braucht die E-Mail-Adresse der Prozessverantwortlichen")
    with change(app, at) as work:
        session, at = work.session, work.at
        network = network_by_slug(session, network_slug)
        template = template_of(network)
        run = stage_run(session, network, stage_name, lock=True)
        if not run.is_done:
            raise IllegalTransition(stage_name, run.state, StageState.open.value,
                                    why="nur eine abgeschlossene oder erlassene Stufe kann wiedereröffnet werden")
        event = run.transition(StageState.open, at=max(at, run.changed_at or at), recorded_at=app.wall_time(),
                               actor=by.strip(), reason=reason.strip())
        log: list[str] = []
        _apply(session, run, event, log)
        report = _report(network, region_of(session, network).slug, run, Outcome.awaiting_partners, [], log, template,
                         [])
        work.touch(network, stage_name)
    return report


def _touch_after(work: Change, report: StageReport) -> None:
    """After a manual move, let the flows carry on (complete, or open the next stage)."""
    if report.state in (StageState.completed, StageState.waived):
        work.touch_all(report.network, report.next_stages)
    else:
        work.touch(report.network, report.stage)


def network_stage_names(app: App, network_slug: str) -> list[str]:
    with app.uow() as uow:
        network = network_by_slug(uow.session, network_slug)
        return [run.stage for run in stage_runs(uow.session, network.id)] or template_of(network).stage_names
