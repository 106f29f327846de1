"""Names the flows share with their deployments: the deployment name and the mail rate limit.

They live here, not in ``deployments/``, because the flows use them at run time (a trigger runs the
deployment ``<flow>/verbund``; the sweep takes a slot of the ``mail`` limit) and the import contracts
keep ``flows`` from importing ``deployments``, which builds on them.
"""

from __future__ import annotations

from collections.abc import Iterable

DEPLOYMENT = "verbund"
MAIL_RATE_LIMIT = "mail"  # global concurrency limit used as a rate limit for outgoing mail


def deployment_name(flow_name: str) -> str:
    """``<flow>/<deployment>``, as ``run_deployment`` takes it."""
    return f"{flow_name}/{DEPLOYMENT}"


def run_tags(kind: str, region: str | None) -> list[str]:
    """The tags of a run that is not one network's stage: ``kind:<what>``, ``region:<slug|alle>``."""
    return [f"kind:{kind}", f"region:{region or 'alle'}"]


async def tag_current_run(tags: Iterable[str]) -> None:
    """Add ``tags`` to the running flow run, however it was started (CLI, schedule, deployment)."""
    from prefect import get_client
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    merged = sorted(set(context.flow_run.tags) | set(tags))
    async with get_client() as client:
        await client.update_flow_run(context.flow_run.id, tags=merged)
    context.flow_run.tags = merged
