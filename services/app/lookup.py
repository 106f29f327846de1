"""Loading aggregates by their public keys (slugs, stage names)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from verbund.domain.errors import NotFound
from verbund.domain.models import Network, Organisation, Region
from verbund.domain.process import ProcessTemplate, load_template
from verbund.domain.stages import StageRun


def network_by_slug(session: Session, slug: str) -> Network:
    network = session.exec(select(Network).where(Network.slug == slug)).first()
    if network is None:
        raise NotFound("Verbund", slug)
    return network


def region_by_slug(session: Session, slug: str) -> Region:
    region = session.exec(select(Region).where(Region.slug == slug)).first()
    if region is None:
        raise NotFound("Region", slug)
    return region


def region_of(session: Session, network: Network) -> Region:
    region = session.get(Region, network.region_id)
    if region is None:  # pragma: no cover - foreign key guarantees it
        raise NotFound("Region", str(network.region_id))
    return region


def template_of(network: Network) -> ProcessTemplate:
    return load_template(network.template)


def stage_runs(session: Session, network_id: uuid.UUID) -> Sequence[StageRun]:
    return session.exec(
        select(StageRun)
        .where(StageRun.network_id == network_id)
        .order_by(col(StageRun.position), col(StageRun.cycle))
    ).all()


def stage_run(
    session: Session, network: Network, stage: str, cycle: int | None = None, *, lock: bool = False
) -> StageRun:
    """The stage's run (its latest cycle unless ``cycle`` is given).

    ``lock``: hold the row until the transaction ends (``FOR UPDATE`` on PostgreSQL; SQLite
    transactions hold the database write lock from their start), so that concurrent moves of the
    same stage run one after the other and the second sees the first's result.
    """
    template_of(network).stage(stage)  # raises for an unknown stage name
    query = select(StageRun).where(StageRun.network_id == network.id, StageRun.stage == stage)
    if cycle is not None:
        query = query.where(StageRun.cycle == cycle)
    if lock:
        query = query.with_for_update()
    run = session.exec(query.order_by(col(StageRun.cycle).desc())).first()
    if run is None:
        raise NotFound("Stufe", f"{network.slug}/{stage}")
    return run


def organisation(session: Session, organisation_id: uuid.UUID | str) -> Organisation:
    key = organisation_id if isinstance(organisation_id, uuid.UUID) else uuid.UUID(organisation_id)
    found = session.get(Organisation, key)
    if found is None:
        raise NotFound("Organisation", str(organisation_id))
    return found


def ensure_stage_runs(session: Session, network: Network) -> list[StageRun]:
    """Create the pending runs of the template's stages that the network does not have yet."""
    existing = {run.stage for run in stage_runs(session, network.id)}
    created = []
    for position, stage in enumerate(template_of(network).stages):
        if stage.name not in existing:
            run = StageRun(network_id=network.id, stage=stage.name, position=position)
            session.add(run)
            created.append(run)
    return created


def as_utc(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC)


def current_stage(session: Session, network: Network) -> str | None:
    """The first stage of the network that is neither completed nor waived."""
    for run in stage_runs(session, network.id):
        if not run.is_done:
            return run.stage
    return None
