"""Create the work pool, the mail rate limit and the deployments on a Prefect server.

``python -m deployments.deploy [--pool verbund]`` with ``PREFECT_API_URL`` pointing at the server.
Flows are loaded from this checkout (``Flow.from_source`` on the project directory), so process
workers started from the same checkout and virtualenv run them without building images.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, WorkPoolCreate
from prefect.exceptions import ObjectNotFound
from prefect.schedules import Cron

from deployments.specs import MAIL_RATE_LIMIT, POOL, SPECS, TIMEZONE, DeploymentSpec

PROJECT = Path(__file__).resolve().parents[1]


async def ensure_pool(pool: str = POOL, concurrency: int | None = None) -> None:
    async with get_client() as client:
        try:
            await client.read_work_pool(pool)
        except ObjectNotFound:
            await client.create_work_pool(WorkPoolCreate(name=pool, type="process", concurrency_limit=concurrency))


async def ensure_mail_limit(per_second: float = 5.0) -> None:
    """A global concurrency limit used as a rate limit: ``rate_limit("mail")`` before each mail."""
    async with get_client() as client:
        try:
            await client.read_global_concurrency_limit_by_name(MAIL_RATE_LIMIT)
        except ObjectNotFound:
            await client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=MAIL_RATE_LIMIT, limit=max(1, int(per_second)),
                                             slot_decay_per_second=per_second)
            )


def deploy_one(spec: DeploymentSpec, pool: str, project: Path = PROJECT) -> str:
    flow: Flow[..., object] = Flow.from_source(source=str(project), entrypoint=spec.entrypoint)  # type: ignore[assignment]
    schedules = [Cron(spec.cron, timezone=TIMEZONE)] if spec.cron else None
    deployment_id = flow.deploy(
        name="verbund",
        work_pool_name=pool,
        parameters=spec.parameters,
        description=spec.description,
        tags=list(spec.tags),
        schedules=schedules,
        concurrency_limit=spec.concurrency_limit,
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
    )
    return str(deployment_id)


def deploy_all(pool: str = POOL, project: Path = PROJECT) -> list[str]:
    """Deploy every flow this checkout has; returns ``flow/deployment`` names."""
    asyncio.run(ensure_pool(pool))
    asyncio.run(ensure_mail_limit())
    deployed = []
    for spec in SPECS:
        if not (project / spec.file).exists():
            print(f"übersprungen (noch nicht vorhanden): {spec.entrypoint}")
            continue
        deploy_one(spec, pool, project)
        deployed.append(f"{spec.flow_name}/verbund")
        print(f"bereitgestellt: {spec.flow_name}/verbund  ←  {spec.entrypoint}")
    return deployed


def main() -> None:
    parser = argparse.ArgumentParser(description="Deployments von verbund auf einem Prefect-Server anlegen.")
    parser.add_argument("--pool", default=POOL, help="Name des Process-Work-Pools (Standard: verbund)")
    deploy_all(parser.parse_args().pool)


if __name__ == "__main__":
    main()
