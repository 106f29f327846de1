"""The trigger port's implementations; ``make_trigger`` is the one place that chooses.

- ``EmbeddedTrigger`` (no Prefect server): the stage's flow runs in this process, at once.
- ``DeploymentTrigger`` (a Prefect server with the deployments of ``deployments/``): the stage's
  deployment is run with ``run_deployment(..., timeout=0, idempotency_key=…)`` so that a worker
  picks it up; the same trigger twice (same network, stage and instant) creates one run.

``VERBUND_EXECUTION`` = ``embedded`` | ``deployments`` | ``auto`` (deployments when
``PREFECT_API_URL`` is set in the environment).
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from verbund.services.app.ports import StageTrigger
from verbund.services.app.settings import Settings

log = logging.getLogger("verbund.trigger")


def region_of(network: str) -> str:
    from verbund.flows.runtime import get_app
    from verbund.services.readmodels.queries import network_overview

    region: str = network_overview(get_app(), network)["region"]
    return region


@dataclass
class EmbeddedTrigger:
    """Runs the stage's flow (which carries on into the next stages) in-process.

    A failed run is logged and remembered, since the input is stored and the next reconcile repairs
    it; errors for which ``raise_if`` is true (the CLI: Prefect's API did not start) propagate.
    """

    failures: list[str] = field(default_factory=list)
    raise_if: Callable[[BaseException], bool] | None = None

    def __call__(self, network: str, stage: str, at: dt.datetime) -> None:
        from prefect.utilities.asyncutils import run_coro_as_sync

        from verbund.flows.local_server import own_ephemeral_server
        from verbund.flows.stage import run_stage

        try:
            own_ephemeral_server()
            run_coro_as_sync(run_stage(network, stage, region_of(network), at.isoformat()))
        except Exception as error:  # the input is stored; the next reconcile repairs it
            if self.raise_if is not None and self.raise_if(error):
                raise
            message = f"{stage} · {network}: {error}"
            self.failures.append(message)
            log.warning("Stufenlauf fehlgeschlagen, wird beim nächsten Abgleich wiederholt: %s", message)


@dataclass
class DeploymentTrigger:
    """Asks the Prefect server to run the stage's deployment; returns without waiting."""

    failures: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)

    def __call__(self, network: str, stage: str, at: dt.datetime) -> None:
        from prefect.deployments import run_deployment
        from prefect.utilities.asyncutils import run_coro_as_sync

        from verbund.flows.naming import deployment_name
        from verbund.flows.stage import stage_tags

        name = deployment_name(stage)
        key = f"{network}:{stage}:{at.isoformat()}"
        try:
            flow_run = run_deployment(  # sync-compatible: returns the run when called from sync code
                name,
                parameters={"network": network, "at": at.isoformat()},
                timeout=0,
                idempotency_key=key,
                tags=sorted(stage_tags(network, stage, region_of(network))),
                flow_run_name=f"{stage} · {network}",
            )
            if inspect.isawaitable(flow_run):
                flow_run = run_coro_as_sync(flow_run)
            if flow_run is not None:
                self.created.append(str(flow_run.id))
        except Exception as error:
            message = f"{name} für {network}: {error}"
            self.failures.append(message)
            log.error("Deployment-Lauf nicht angelegt (make deploy ausgeführt? sonst VERBUND_EXECUTION=embedded): %s",
                      message)


def execution_mode(settings: Settings) -> str:
    if settings.execution != "auto":
        return settings.execution
    api_url = os.environ.get("PREFECT_API_URL")
    # serve's local Prefect server (found through its discovery file) runs flows in-process too
    local = api_url is not None and api_url == os.environ.get("VERBUND_LOCAL_PREFECT_URL")
    return "deployments" if api_url and not local else "embedded"


def make_trigger(settings: Settings, raise_if: Callable[[BaseException], bool] | None = None) -> StageTrigger:
    if execution_mode(settings) == "deployments":
        return DeploymentTrigger()
    return EmbeddedTrigger(raise_if=raise_if)
