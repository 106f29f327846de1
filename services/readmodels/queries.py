"""Read models: the status of every network (``verbund status``)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from verbund.domain.models import Network, Region
from verbund.domain.stages import StageRun
from verbund.services.app.bootstrap import App


def status(app: App, region: str | None = None) -> dict[str, Any]:
    """``{"networks": [{"slug", "name", "region", "template", "stages": [...], "unreachable_members"}]}``
    (CONTRACTS.md); ``unreachable_members``: ``{"count", "organisations": [{"name", "reason"}]}`` (issue 12)."""
    from verbund.services.messaging.reach import summary, unreachable_members

    with app.uow() as uow:
        session = uow.session
        unreachable = unreachable_members(session, app.now())
        query = select(Network, Region).join(Region, col(Region.id) == col(Network.region_id))
        if region:
            query = query.where(Region.slug == region)
        pairs = session.exec(query.order_by(col(Region.slug), col(Network.slug))).all()
        runs: dict[Any, list[StageRun]] = {}
        for run in session.exec(select(StageRun).order_by(col(StageRun.position), col(StageRun.cycle))):
            runs.setdefault(run.network_id, []).append(run)
        return {
            "networks": [
                {
                    "slug": network.slug,
                    "name": network.name,
                    "region": reg.slug,
                    "template": network.template,
                    "stages": [
                        {
                            "name": run.stage,
                            "cycle": run.cycle,
                            "state": run.state,
                            "due": run.due.isoformat() if run.due else None,
                            "completed_at": run.completed_at.isoformat() if run.completed_at else None,
                        }
                        for run in runs.get(network.id, [])
                    ],
                    "unreachable_members": summary(unreachable.get(network.id, [])),
                }
                for network, reg in pairs
            ]
        }


def network_overview(app: App, network_slug: str) -> dict[str, Any]:
    """The network's region, its stages' states and the first stage that is not done."""
    from verbund.services.app.lookup import current_stage, network_by_slug, region_of, stage_runs
    from verbund.services.stages.lifecycle import stages_under_way

    with app.uow() as uow:
        network = network_by_slug(uow.session, network_slug)
        return {
            "network": network.slug,
            "region": region_of(uow.session, network).slug,
            "current_stage": current_stage(uow.session, network),
            "stages": {run.stage: run.state for run in stage_runs(uow.session, network.id)},
            "under_way": stages_under_way(uow.session, network),  # issue 8: stages without a fixed order
        }
