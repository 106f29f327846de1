"""Input follows the stage: one rule for every door (dashboard, partner link, CLI, API).

Input to a stage is accepted only while its current occurrence is ``open`` or ``ready``. A
``pending`` stage has not begun, a ``completed`` or ``waived`` one is finished, and a held
consultation is a record of what happened: each refusal says why and whom to ask. A correction
after completion is an explicit reopening by a process owner (``services.stages.lifecycle.reopen_stage``).
"""

from __future__ import annotations

from sqlmodel import Session

from verbund.domain.errors import InvalidInput
from verbund.domain.models import Network
from verbund.domain.stages import StageRun, StageState
from verbund.domain.work import Consultation, ConsultationStatus
from verbund.services.app.clock import local_date
from verbund.services.app.lookup import stage_run, template_of

ASK_OWNER = ("Eine Korrektur ist nur nach Wiedereröffnung der Stufe durch die Prozessverantwortlichen möglich "
             "(Dashboard: Stufenseite, oder 'verbund stage reopen VERBUND STUFE --reason … --by …').")
ASK_COORDINATOR = "Bitte wenden Sie sich an die Koordination des Verbunds."


class StageClosed(InvalidInput):
    """Input to a stage that does not accept it now (pending, completed, waived, held)."""


def _title(network: Network, stage: str) -> str:
    try:
        return template_of(network).stage(stage).title
    except Exception:  # an unknown stage is named as given
        return stage


def require_open(session: Session, network: Network, stage: str) -> StageRun:
    """The stage's current occurrence when it accepts input; else ``StageClosed`` saying why."""
    run = stage_run(session, network, stage)
    state = StageState(run.state)
    if state in (StageState.open, StageState.ready):
        return run
    where = f"{network.name} · {_title(network, stage)}"
    if state is StageState.pending:
        raise StageClosed(f"{where}: die Stufe ist noch nicht eröffnet; Eingaben sind erst möglich, wenn die "
                          f"vorherige Stufe abgeschlossen ist. {ASK_COORDINATOR}")
    if state is StageState.completed:
        day = local_date(run.completed_at).strftime("%d.%m.%Y") if run.completed_at else "—"
        raise StageClosed(f"{where}: die Stufe ist seit {day} abgeschlossen und nimmt keine Änderungen mehr an. "
                          f"{ASK_OWNER}")
    raise StageClosed(f"{where}: auf die Stufe wurde verzichtet ({run.waiver_reason or 'ohne Begründung'}); sie "
                      f"nimmt keine Eingaben an. {ASK_OWNER}")


def require_not_held(session: Session, network: Network, consultation: Consultation | None) -> None:
    """A held consultation is a record: attendance, replies and decisions stay as recorded, unless a
    process owner reopened the consultation stage after it was held."""
    if consultation is None or consultation.status != ConsultationStatus.held or consultation.held_at is None:
        return
    run = stage_run(session, network, "consultation")
    if run.reopened_at is not None and run.reopened_at >= consultation.held_at:
        return
    day = local_date(consultation.held_at).strftime("%d.%m.%Y")
    raise StageClosed(f"{network.name} · Beratung: die Beratung hat am {day} stattgefunden; Anwesenheit, "
                      f"Zusagen und Beschlüsse sind festgeschrieben. {ASK_OWNER}")
