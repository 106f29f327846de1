"""What is deployed: one deployment per stage flow, the build-outs, the reminder sweep, the report.

Deployments name flows by entrypoint (``verbund.flows.analysis:analysis``); the process work pool
``verbund`` runs them. Flows that a feature has not shipped yet are skipped, not faked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from verbund.flows.naming import DEPLOYMENT, MAIL_RATE_LIMIT, deployment_name

__all__ = ["DEPLOYMENT", "MAIL_RATE_LIMIT", "POOL", "SPECS", "TIMEZONE", "DeploymentSpec", "deployment_name"]

POOL = "verbund"
TIMEZONE = "Europe/Berlin"


@dataclass(frozen=True)
class DeploymentSpec:
    entrypoint: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)
    cron: str | None = None
    concurrency_limit: int | None = None
    tags: tuple[str, ...] = ()
    flow: str | None = None  # the flow's name when it is not the entrypoint's attribute with - for _

    @property
    def module(self) -> str:
        return self.entrypoint.split(":", 1)[0]

    @property
    def flow_name(self) -> str:
        return self.flow or self.entrypoint.split(":", 1)[1].replace("_", "-")


STAGES = ("analysis", "potentials", "goals", "consultation", "protocol")


def _template_stages() -> tuple[str, ...]:
    """The stages of every bundled template that are not Saxon (each gets its own deployment)."""
    from verbund.domain.process import all_templates

    names = dict.fromkeys(stage.name for template in all_templates() for stage in template.stages)
    return tuple(name for name in names if name not in STAGES)


def _scheduled(entrypoint: str, tag: str, cron: str, description: str, *, concurrency_limit: int = 1) -> DeploymentSpec:
    """A job on a schedule (Europe/Berlin); one run at a time unless said otherwise."""
    return DeploymentSpec(entrypoint=entrypoint, description=description, cron=cron,
                          concurrency_limit=concurrency_limit, tags=("verbund", tag))


def _stage_spec(stage: str, entrypoint: str) -> DeploymentSpec:
    return DeploymentSpec(
        entrypoint=entrypoint,
        description=f"Stufe {stage} eines Verbunds abgleichen (ausgelöst durch Eingaben und Aktionen).",
        concurrency_limit=20,
        tags=("verbund", f"stage:{stage}"),
        flow=stage,
    )

SPECS: tuple[DeploymentSpec, ...] = (
    *(_stage_spec(stage, f"verbund.flows.{stage}:{stage}") for stage in STAGES),
    *(_stage_spec(stage, f"verbund.flows.template_stages:{stage.replace('-', '_')}") for stage in _template_stages()),
    DeploymentSpec(
        entrypoint="verbund.flows.buildout:network_buildout",
        description="Einen Verbund durch seine Stufen führen, so weit die Fakten reichen.",
        concurrency_limit=20,
        tags=("verbund",),
    ),
    DeploymentSpec(
        entrypoint="verbund.flows.buildout:region_buildout",
        description="Alle Verbünde einer Region abgleichen (Stufen als Subflows im selben Prozess).",
        concurrency_limit=4,
        tags=("verbund",),
    ),
    _scheduled("verbund.flows.reminders:reminder_sweep", "reminders", "0 8 * * 1-5",
               "Tägliche Erinnerungsrunde (werktags 08:00; Feiertage überspringt die Runde selbst)."),
    _scheduled("verbund.flows.reconcile:reconcile_sweep", "reconcile", "*/5 * * * *",
               "Stufenläufe nachholen, deren Auslöser ein Absturz verloren hat (Trigger-Outbox), alle 5 Minuten."),
    _scheduled("verbund.flows.privacy:privacy_purge", "privacy", "30 7 * * *",
               "Aufbewahrungsfristen (DSGVO): Nachrichteninhalte und Postfach-Kopien nach VERBUND_RETENTION_DAYS "
               "leeren, abgelaufene Sitzungen löschen (täglich 07:30)."),
    _scheduled("verbund.flows.forecast:refresh_forecasts", "forecast", "45 7 * * 1-5",
               "Prognosen für das Dashboard vorab berechnen (werktags 07:45; danach bei Änderungen)."),
    _scheduled("verbund.flows.report:build_report", "report", "0 6 1 * *",
               "Bericht zum Stand des Aufbaus der Kooperationsverbünde (monatlich am 1., 06:00, Stand des Tages).",
               concurrency_limit=2),
)

