"""Stage name → its flow. Stages of other templates get a flow of their own name on demand."""

from __future__ import annotations

from typing import Any

from prefect import Flow

from flows.analysis import analysis
from flows.consultation import consultation
from flows.goals import goals
from flows.potentials import potentials
from flows.protocol import protocol
from flows.stage import stage_flow

STAGE_FLOWS: dict[str, Flow[..., Any]] = {
    "analysis": analysis,
    "potentials": potentials,
    "goals": goals,
    "consultation": consultation,
    "protocol": protocol,
}


def flow_for(stage: str) -> Flow[..., Any]:
    if stage not in STAGE_FLOWS:
        STAGE_FLOWS[stage] = stage_flow(stage)
    return STAGE_FLOWS[stage]
