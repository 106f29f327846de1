"""Read models: the status of every network (``verbund status``).

``status`` reads through SQLAlchemy Core on the tables (as ``services.report.history`` does): an ORM
query's first compile and the mapper configuration it triggers were a third of the command's work
after start-up (issue 14). Column types still apply (UUIDs, dates, UTC datetimes).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

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
        networks_t, regions_t, runs_t = (Network.__table__, Region.__table__,  # type: ignore[attr-defined]
                                         StageRun.__table__)  # type: ignore[attr-defined]
        n, r, s = networks_t.c, regions_t.c, runs_t.c
        query = select(n.id, n.slug, n.name, n.template, r.slug.label("region")).join_from(
            networks_t, regions_t, r.id == n.region_id)
        if region:
            query = query.where(r.slug == region)
        connection = session.connection()
        networks = connection.execute(query.order_by(r.slug, n.slug)).all()
        runs: dict[Any, list[Any]] = {}
        for run in connection.execute(select(s.network_id, s.stage, s.cycle, s.state, s.due, s.completed_at)
                                      .order_by(s.position, s.cycle)):
            runs.setdefault(run.network_id, []).append(run)
        return {
            "networks": [
                {
                    "slug": network.slug,
                    "name": network.name,
                    "region": network.region,
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
                for network in networks
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
