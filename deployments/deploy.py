"""Create the work pool, the mail rate limit and the deployments on a Prefect server.

``python -m verbund.deployments.deploy [--pool verbund]`` with ``PREFECT_API_URL`` pointing at the server.
Deployments name their flows by module path (``verbund.flows.analysis:analysis``), so process workers in
a virtualenv where verbund is installed run them without building images or pulling code.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, WorkPoolCreate
from prefect.deployments.runner import adeploy
from prefect.exceptions import ObjectNotFound
from prefect.flows import load_flow_from_entrypoint
from prefect.schedules import Cron
from prefect.types.entrypoint import EntrypointType

from verbund.deployments.specs import DEPLOYMENT, MAIL_RATE_LIMIT, POOL, SPECS, TIMEZONE, DeploymentSpec


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


def deploy_one(spec: DeploymentSpec, pool: str, source: Path | None = None) -> str:
    """Deploy one flow: by module path from the installed package, or by file path from ``source``
    (a checkout folder; the scale-out benchmark's bare flows are not part of the package)."""
    options: dict[str, Any] = {
        "work_pool_name": pool,
        "parameters": spec.parameters,
        "description": spec.description,
        "tags": list(spec.tags),
        "schedules": [Cron(spec.cron, timezone=TIMEZONE)] if spec.cron else None,
        "concurrency_limit": spec.concurrency_limit,
    }
    if source is not None:
        from_source: Flow[..., object] = Flow.from_source(source=str(source), entrypoint=spec.entrypoint)  # type: ignore[assignment]
        deployment_id = from_source.deploy(name=DEPLOYMENT, build=False, push=False, print_next_steps=False,
                                           ignore_warnings=True, **options)
        return str(deployment_id)
    return asyncio.run(_deploy_module_path(spec, options))


async def _deploy_module_path(spec: DeploymentSpec, options: dict[str, Any]) -> str:
    flow: Flow[..., object] = load_flow_from_entrypoint(spec.entrypoint)
    deployment = await flow.ato_deployment(name=DEPLOYMENT, entrypoint_type=EntrypointType.MODULE_PATH, **options)
    # Prefect would derive "<function's module>.<function>", which for flows made by a factory
    # (the template stages) names the factory's inner function: keep the spec's own module path.
    deployment.entrypoint = spec.entrypoint
    ids = await adeploy(deployment, work_pool_name=options["work_pool_name"], build=False, push=False,
                        print_next_steps_message=False, ignore_warnings=True)
    return str(ids[0])


def deploy_all(pool: str = POOL) -> list[str]:
    """Deploy every flow of the installed package; returns ``flow/deployment`` names."""
    asyncio.run(ensure_pool(pool))
    asyncio.run(ensure_mail_limit())
    deployed = []
    for spec in SPECS:
        deploy_one(spec, pool)
        deployed.append(f"{spec.flow_name}/verbund")
        print(f"bereitgestellt: {spec.flow_name}/verbund  ←  {spec.entrypoint}")
    return deployed


def main() -> None:
    parser = argparse.ArgumentParser(description="Deployments von verbund auf einem Prefect-Server anlegen.")
    parser.add_argument("--pool", default=POOL, help="Name des Process-Work-Pools (Standard: verbund)")
    deploy_all(parser.parse_args().pool)


if __name__ == "__main__":
    main()
